using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Meshwork.Gossip.Security;

/// <summary>
/// memberlist's AES-GCM framing: <c>vsn | nonce[12] | ciphertext | tag[16]</c>.
/// Version 1 has no padding; version 0 (accepted, never sent) has PKCS#7 padding.
/// </summary>
internal static class PacketEncryption
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = 1 + NonceSize + TagSize;

    public static byte[] Encrypt(byte[] key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[Overhead + plaintext.Length];
        output[0] = 1;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(1 + NonceSize + plaintext.Length), associatedData);
        return output;
    }

    /// <summary>Tries every key in order; throws if none can decrypt.</summary>
    public static byte[] Decrypt(IReadOnlyList<byte[]> keys, ReadOnlySpan<byte> message, ReadOnlySpan<byte> associatedData)
    {
        if (message.Length == 0) { throw new CryptographicException("Cannot decrypt empty payload"); }
        var vsn = message[0];
        if (vsn > 1) { throw new CryptographicException($"Unsupported encryption version {vsn}"); }
        var min = vsn == 0 ? Overhead + 16 : Overhead;
        if (message.Length < min) { throw new CryptographicException("Payload is too small to decrypt"); }
        var nonce = message.Slice(1, NonceSize);
        var cipherLength = message.Length - Overhead;
        var cipher = message.Slice(1 + NonceSize, cipherLength);
        var tag = message.Slice(1 + NonceSize + cipherLength, TagSize);
        var plain = new byte[cipherLength];
        foreach (var key in keys)
        {
            try
            {
                using var gcm = new AesGcm(key, TagSize);
                gcm.Decrypt(nonce, cipher, tag, plain, associatedData);
                if (vsn == 0)
                {
                    var pad = plain.Length == 0 ? 0 : plain[^1];
                    if (pad is 0 or > 16 || pad > plain.Length) { throw new CryptographicException("bad padding"); }
                    return plain.AsSpan(0, plain.Length - pad).ToArray();
                }
                return plain;
            }
            catch (CryptographicException)
            {
                // try the next key
            }
        }
        throw new CryptographicException("No installed keys could decrypt the message");
    }

    /// <summary>Builds the 5-byte stream header <c>0a | len</c> used as AAD for encrypted streams.</summary>
    public static byte[] StreamHeader(int encryptedLength)
    {
        var header = new byte[5];
        header[0] = (byte)Wire.MessageType.Encrypt;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)encryptedLength);
        return header;
    }
}
