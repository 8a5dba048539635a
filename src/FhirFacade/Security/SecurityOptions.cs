namespace FhirCare.FhirFacade.Security;

/// <summary>The "Security" configuration section (docs/security.md).</summary>
public sealed class SecurityOptions
{
    /// <summary>Whether requests need a bearer token and are authorized; null: on everywhere except in Development.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Resolved at start-up from <see cref="Enabled"/> and the environment.</summary>
    public bool IsEnabled { get; set; }

    /// <summary>An external identity provider's issuer, for OpenID Connect discovery of its keys; empty: none.</summary>
    public string? Authority { get; set; }

    /// <summary>An external issuer whose signing keys are in <see cref="JwksPath"/> (a JWKS file), when there is no discovery.</summary>
    public string? Issuer { get; set; }

    public string? JwksPath { get; set; }

    /// <summary>The audience access tokens must name (the embedded token endpoint issues tokens for it).</summary>
    public string Audience { get; set; } = "fhircare";

    public EmbeddedTokenOptions Embedded { get; set; } = new();
}

/// <summary>The embedded token endpoint for SMART Backend Services ("Security:Embedded").</summary>
public sealed class EmbeddedTokenOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The embedded issuer (absolute URL); the token endpoint is "auth/token" relative to it.</summary>
    public string Issuer { get; set; } = Hosting.DefaultUrl + "/";

    public int TokenLifetimeMinutes { get; set; } = 5;

    /// <summary>A PEM file with the RSA key that signs access tokens (created on first start); empty: a new key per start.</summary>
    public string? SigningKeyPath { get; set; }

    public List<RegisteredClient> Clients { get; set; } = [];
}

/// <summary>A backend client allowed to get tokens from the embedded endpoint.</summary>
public sealed class RegisteredClient
{
    public string ClientId { get; set; } = "";

    /// <summary>The client's public keys: a JWKS document (JSON), or <see cref="JwksPath"/>.</summary>
    public string? Jwks { get; set; }

    public string? JwksPath { get; set; }

    /// <summary>The scopes it may be granted (SMART scopes, e.g. "system/*.rs"); a request gets those of its scopes these cover.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The Organization the client acts for ("Organization/x"): a vendor sees only what is assigned to it.</summary>
    public string? Vendor { get; set; }

    /// <summary>A patient id: every token of this client is in that patient's context.</summary>
    public string? Patient { get; set; }
}
