namespace Meshwork.Tars.Idl.Syntax;

internal enum TokenKind
{
    End,
    Identifier,
    Integer,
    Float,
    String,
    Punctuation,
}

/// <summary>One lexical token. <see cref="Text"/> is the source text, except for strings, where it is the unescaped value.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourceSpan Span)
{
    public bool Is(string punctuation) => Kind == TokenKind.Punctuation && Text == punctuation;

    public bool IsWord(string word) => Kind == TokenKind.Identifier && Text == word;

    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "the end of the file",
        TokenKind.String => "string \"" + Text + "\"",
        TokenKind.Integer or TokenKind.Float => "number '" + Text + "'",
        _ => "'" + Text + "'",
    };
}
