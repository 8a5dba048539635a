using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCare.FhirFacade.Tests.Security;

/// <summary>
/// A SMART Backend Services client made in the test: its own key pair (RS384 or ES384), its public JWKS for the
/// server's registration, and client assertions signed with its private key.
/// </summary>
public sealed class BackendClient
{
    public const string Issuer = "http://localhost/", TokenUrl = "http://localhost/auth/token";

    public string ClientId { get; }
    public string Algorithm { get; }
    private readonly SecurityKey _key;
    private readonly JsonObject _publicJwk;

    public BackendClient(string clientId, string algorithm = SecurityAlgorithms.RsaSha384)
    {
        ClientId = clientId;
        Algorithm = algorithm;
        var kid = clientId + "-key";
        if (algorithm.StartsWith("RS", StringComparison.Ordinal))
        {
            var rsa = RSA.Create(2048);
            var p = rsa.ExportParameters(false);
            _key = new RsaSecurityKey(rsa) { KeyId = kid };
            _publicJwk = new JsonObject { ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = algorithm, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        }
        else
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var p = ec.ExportParameters(false);
            _key = new ECDsaSecurityKey(ec) { KeyId = kid };
            _publicJwk = new JsonObject { ["kty"] = "EC", ["kid"] = kid, ["use"] = "sig", ["alg"] = algorithm, ["crv"] = "P-384", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        }
    }

    public string Jwks => new JsonObject { ["keys"] = new JsonArray(_publicJwk.DeepClone()) }.ToJsonString();

    /// <summary>Configuration that registers this client with the embedded token endpoint (index <paramref name="n"/>).</summary>
    public Dictionary<string, string?> Registration(int n, IEnumerable<string> scopes, string? vendor = null, string? patient = null)
    {
        var prefix = $"Security:Embedded:Clients:{n}:";
        var settings = new Dictionary<string, string?> { [prefix + "ClientId"] = ClientId, [prefix + "Jwks"] = Jwks, [prefix + "Vendor"] = vendor, [prefix + "Patient"] = patient };
        var i = 0;
        foreach (var scope in scopes) settings[prefix + "Scopes:" + i++] = scope;
        return settings;
    }

    /// <summary>A client assertion (RFC 7523) for the token endpoint, signed with the private key.</summary>
    public string Assertion(string? jti = null, TimeSpan? lifetime = null, string audience = TokenUrl, SecurityKey? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ClientId,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = ClientId, ["jti"] = jti ?? Guid.NewGuid().ToString() },
            IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow.AddSeconds(-5),
            Expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromMinutes(4)),
            SigningCredentials = new SigningCredentials(key ?? _key, Algorithm),
        });

    public static FormUrlEncodedContent TokenRequest(string assertion, string scope) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["scope"] = scope,
        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ["client_assertion"] = assertion,
    });

    /// <summary>Gets an access token from the embedded endpoint (the response must be 200).</summary>
    public async Task<string> TokenAsync(HttpClient http, string scope)
    {
        using var response = await http.PostAsync("/auth/token", TokenRequest(Assertion(), scope));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>An HttpClient that sends a token for <paramref name="scope"/>.</summary>
    public async Task<HttpClient> HttpAsync(FhirServer server, string scope)
    {
        var http = server.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, scope));
        return http;
    }
}

/// <summary>Settings for a server with security on and the embedded token endpoint at the test server's address.</summary>
public static class SecureSettings
{
    public static Dictionary<string, string?> With(params IEnumerable<KeyValuePair<string, string?>>[] registrations)
    {
        var settings = new Dictionary<string, string?> { ["Security:Enabled"] = "true", ["Security:Embedded:Issuer"] = BackendClient.Issuer };
        foreach (var registration in registrations)
            foreach (var (key, value) in registration) settings[key] = value;
        return settings;
    }
}
