using System.Collections.Generic;
using System.Text;

namespace Meshwork.Tars.Idl.Syntax;

/// <summary>Turns the text of a <c>.tars</c> file into tokens; skips whitespace and both comment forms.</summary>
internal sealed class Lexer
{
    private readonly string _path;
    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    public Lexer(string path, string text)
    {
        _path = path;
        _text = text;
    }

    public static List<Token> Tokenize(string path, string text)
    {
        var lexer = new Lexer(path, text);
        var tokens = new List<Token>();
        Token token;
        do
        {
            token = lexer.Next();
            tokens.Add(token);
        }
        while (token.Kind != TokenKind.End);
        return tokens;
    }

    private Token Next()
    {
        SkipTrivia();
        if (_pos >= _text.Length) return new Token(TokenKind.End, "", Span(_pos, 0));
        var c = _text[_pos];
        if (IsIdentifierStart(c)) return Identifier();
        if (IsDigit(c) || (c == '.' && _pos + 1 < _text.Length && IsDigit(_text[_pos + 1]))) return Number();
        if (c == '"') return StringLiteral();
        if (c == ':' && Peek(1) == ':') return Punct(2);
        if ("{}()<>[];,=#-+:".IndexOf(c) >= 0) return Punct(1);
        throw new IdlSyntaxException(TarsIdlErrorCode.InvalidToken, "Unexpected character '" + Printable(c) + "'.", Span(_pos, 1));
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c is ' ' or '\t' or '\r' or '\f' or '\v' or '\uFEFF')
            {
                _pos++;
            }
            else if (c == '/' && Peek(1) == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                var start = Span(_pos, 2);
                _pos += 2;
                while (true)
                {
                    if (_pos >= _text.Length) throw new IdlSyntaxException(TarsIdlErrorCode.InvalidToken, "Unterminated comment: '/*' has no matching '*/'.", start);
                    if (_text[_pos] == '*' && Peek(1) == '/')
                    {
                        _pos += 2;
                        break;
                    }
                    if (_text[_pos] == '\n')
                    {
                        _line++;
                        _lineStart = _pos + 1;
                    }
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private Token Identifier()
    {
        var start = _pos;
        while (_pos < _text.Length && (IsIdentifierStart(_text[_pos]) || IsDigit(_text[_pos]))) _pos++;
        return new Token(TokenKind.Identifier, _text.Substring(start, _pos - start), Span(start, _pos - start));
    }

    private Token Number()
    {
        var start = _pos;
        var isFloat = false;
        if (_text[_pos] == '0' && (Peek(1) == 'x' || Peek(1) == 'X'))
        {
            _pos += 2;
            while (_pos < _text.Length && IsHexDigit(_text[_pos])) _pos++;
        }
        else
        {
            while (_pos < _text.Length && IsDigit(_text[_pos])) _pos++;
            if (_pos < _text.Length && _text[_pos] == '.')
            {
                isFloat = true;
                _pos++;
                while (_pos < _text.Length && IsDigit(_text[_pos])) _pos++;
            }
            if (_pos < _text.Length && (_text[_pos] == 'e' || _text[_pos] == 'E'))
            {
                isFloat = true;
                _pos++;
                if (_pos < _text.Length && (_text[_pos] == '+' || _text[_pos] == '-')) _pos++;
                if (_pos >= _text.Length || !IsDigit(_text[_pos])) throw BadNumber(start);
                while (_pos < _text.Length && IsDigit(_text[_pos])) _pos++;
            }
            if (_pos < _text.Length && (_text[_pos] == 'f' || _text[_pos] == 'F'))
            {
                isFloat = true;
                _pos++;
            }
        }
        // A number running straight into letters ("12abc", "0x") is a typo, not two tokens.
        if (_pos < _text.Length && (IsIdentifierStart(_text[_pos]) || IsDigit(_text[_pos]))) throw BadNumber(start);
        var text = _text.Substring(start, _pos - start);
        if (text is "0x" or "0X") throw BadNumber(start);
        return new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, Span(start, _pos - start));
    }

    private IdlSyntaxException BadNumber(int start)
    {
        var end = _pos;
        while (end < _text.Length && (IsIdentifierStart(_text[end]) || IsDigit(_text[end]) || _text[end] == '.')) end++;
        return new IdlSyntaxException(TarsIdlErrorCode.InvalidToken, "Malformed number '" + _text.Substring(start, end - start) + "'.", Span(start, end - start));
    }

    private Token StringLiteral()
    {
        var start = _pos;
        _pos++;
        var value = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
                throw new IdlSyntaxException(TarsIdlErrorCode.InvalidToken, "Unterminated string literal: a closing '\"' is missing on this line.", Span(start, 1));
            var c = _text[_pos++];
            if (c == '"') break;
            if (c != '\\')
            {
                value.Append(c);
                continue;
            }
            if (_pos >= _text.Length) continue;
            var escape = _text[_pos++];
            switch (escape)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '0': value.Append('\0'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '\\': value.Append('\\'); break;
                case '"': value.Append('"'); break;
                case '\'': value.Append('\''); break;
                case '?': value.Append('?'); break;
                default:
                    throw new IdlSyntaxException(TarsIdlErrorCode.InvalidToken, "Unknown escape sequence '\\" + Printable(escape) + "' in a string literal.", Span(_pos - 2, 2));
            }
        }
        return new Token(TokenKind.String, value.ToString(), Span(start, _pos - start));
    }

    private Token Punct(int length)
    {
        var token = new Token(TokenKind.Punctuation, _text.Substring(_pos, length), Span(_pos, length));
        _pos += length;
        return token;
    }

    private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private SourceSpan Span(int offset, int length)
    {
        // Offsets before the current line start cannot occur: tokens never span lines (strings stop at '\n').
        return new SourceSpan(_path, _line, offset - _lineStart + 1, offset, length);
    }

    private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsHexDigit(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static string Printable(char c) => c < ' ' || c > '~' ? "\\u" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString();
}
