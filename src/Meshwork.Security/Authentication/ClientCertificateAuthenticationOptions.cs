namespace Meshwork.Security.Authentication;

/// <summary>
/// Turns the client certificate of a mutual-TLS connection into the caller's identity. The certificate was already
/// checked during the handshake (see <see cref="ClientCertificateTrust"/>); this only maps it to claims.
/// </summary>
public sealed class ClientCertificateAuthenticationOptions
{
    /// <summary>
    /// Roles by caller name (the certificate's common name, see <see cref="ClientCertificateAuthenticator"/>), for
    /// role policies on mTLS callers: <c>{"billing-admin": ["admin"]}</c>. Default none. Names compare ordinally.
    /// </summary>
    public IDictionary<string, IList<string>> RolesByName { get; set; } = new Dictionary<string, IList<string>>(StringComparer.Ordinal);

    /// <summary>Throws <see cref="Rpc.InvalidOptionException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(ClientCertificateAuthenticationOptions);
        foreach (var (name, roles) in RolesByName)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new Rpc.InvalidOptionException(type, nameof(RolesByName), "has a blank caller name");
            if (roles is null || roles.Any(string.IsNullOrWhiteSpace)) throw new Rpc.InvalidOptionException(type, $"{nameof(RolesByName)}[{name}]", "contains an empty role");
        }
    }
}
