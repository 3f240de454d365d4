namespace Meshwork.Tars;

/// <summary>
/// A TARS call failure with its <c>iRet</c> code. Server handlers throw it to answer with a specific code and text (for
/// example <see cref="TarsReturnCode.ServerOverload"/>, or a business code); clients see failures as
/// <see cref="Meshwork.Rpc.RpcException"/> whose trailer <see cref="ReturnCodeTrailer"/> carries the code (see
/// <see cref="TarsStatusMapping.GetTarsReturnCode"/>).
/// </summary>
public sealed class TarsException : Exception
{
    /// <summary>Trailer of client-side <see cref="Meshwork.Rpc.RpcException"/>s holding the decimal <c>iRet</c>.</summary>
    public const string ReturnCodeTrailer = "tars-ret";

    /// <summary>Creates the exception.</summary>
    /// <param name="returnCode">The non-zero <c>iRet</c>.</param>
    /// <param name="message">Text for <c>sResultDesc</c>.</param>
    public TarsException(int returnCode, string message)
        : base(message)
    {
        if (returnCode == 0) throw new ArgumentOutOfRangeException(nameof(returnCode), "A TARS failure needs a non-zero return code.");
        ReturnCode = returnCode;
    }

    /// <summary>The <c>iRet</c> code.</summary>
    public int ReturnCode { get; }
}
