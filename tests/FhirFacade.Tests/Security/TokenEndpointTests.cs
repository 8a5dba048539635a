using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCare.FhirFacade.Tests.Security;

/// <summary>The embedded SMART Backend Services token endpoint, driven by client assertions signed in the test.</summary>
public sealed class TokenEndpointTests : IDisposable
{
    private readonly BackendClient _rsa = new("rsa-client");
    private readonly BackendClient _ec = new("ec-client", SecurityAlgorithms.EcdsaSha384);
    private readonly FhirServer _server;

    public TokenEndpointTests() => _server = FhirServer.With(SecureSettings.With(
        _rsa.Registration(0, ["system/Patient.rs", "system/Observation.cruds"]),
        _ec.Registration(1, ["system/*.read"], vendor: "Organization/v1")));

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public async Task A_signed_assertion_gets_a_token_with_the_registered_claims(string which)
    {
        var client = which == "rsa" ? _rsa : _ec;
        using var http = _server.Http();
        using var response = await http.PostAsync("/auth/token", BackendClient.TokenRequest(client.Assertion(), which == "rsa" ? "system/Patient.rs system/Observation.rs" : "system/Patient.read"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.True(json.GetProperty("expires_in").GetInt32() is > 0 and <= 300);
        var token = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Equal(client.ClientId, token.GetClaim("client_id").Value);
        Assert.Equal(client.ClientId, token.Subject);
        Assert.Contains("fhircare", token.Audiences);
        Assert.Equal(BackendClient.Issuer, token.Issuer);
        var scopes = token.Claims.Where(c => c.Type == "scope").SelectMany(c => c.Value.Split(' ')).ToList();
        if (which == "rsa")
        {
            Assert.Equal(["system/Observation.rs", "system/Patient.rs"], scopes.Order());
            Assert.False(token.TryGetClaim("fhircare_vendor", out _));
        }
        else
        {
            Assert.Equal(["system/Patient.read"], scopes);
            Assert.Equal("Organization/v1", token.GetClaim("fhircare_vendor").Value);
        }
    }

    [Fact]
    public async Task A_replayed_jti_is_refused()
    {
        using var http = _server.Http();
        var assertion = _rsa.Assertion(jti: "once");
        using var first = await http.PostAsync("/auth/token", BackendClient.TokenRequest(assertion, "system/Patient.rs"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var again = await http.PostAsync("/auth/token", BackendClient.TokenRequest(_rsa.Assertion(jti: "once"), "system/Patient.rs"));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode); // invalid_client (RFC 6749 §5.2)
        Assert.Equal("invalid_client", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    public static TheoryData<string> BadAssertions => ["foreign key", "wrong audience", "expired", "too long", "unknown client"];

    [Theory]
    [MemberData(nameof(BadAssertions))]
    public async Task A_bad_assertion_gets_no_token(string what)
    {
        var stranger = new BackendClient("rsa-client");
        var assertion = what switch
        {
            "foreign key" => stranger.Assertion(),
            "wrong audience" => _rsa.Assertion(audience: "http://elsewhere.example/token"),
            "expired" => _rsa.Assertion(lifetime: TimeSpan.FromMinutes(-2)),
            "too long" => _rsa.Assertion(lifetime: TimeSpan.FromHours(1)),
            _ => new BackendClient("nobody").Assertion(),
        };
        using var http = _server.Http();
        using var response = await http.PostAsync("/auth/token", BackendClient.TokenRequest(assertion, "system/Patient.rs"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{what}: {response.StatusCode} {body}");
        // OpenIddict answers invalid_token when the assertion itself fails validation, invalid_client for the rest.
        Assert.Contains(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), new[] { "invalid_client", "invalid_token" });
        Assert.DoesNotContain("access_token", body);
    }

    [Fact]
    public async Task Scopes_the_client_is_not_registered_for_are_not_granted()
    {
        using var http = _server.Http();
        using var response = await http.PostAsync("/auth/token", BackendClient.TokenRequest(_rsa.Assertion(), "system/Condition.rs system/*.cruds"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Smart_configuration_and_the_CapabilityStatement_describe_the_endpoint_without_a_token()
    {
        using var http = _server.Http();
        var smart = JsonDocument.Parse(await http.GetStringAsync("/.well-known/smart-configuration")).RootElement;
        Assert.Equal(BackendClient.TokenUrl, smart.GetProperty("token_endpoint").GetString());
        Assert.Contains("private_key_jwt", smart.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("client_credentials", smart.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));

        var metadata = await _server.Client().CapabilityStatementAsync();
        var security = metadata!.Rest[0].Security;
        Assert.Contains(security.Service, s => s.Coding.Any(c => c.Code == "SMART-on-FHIR"));
        var oauth = security.GetExtension("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        Assert.Equal(BackendClient.TokenUrl, ((FhirUri)oauth.GetExtension("token").Value).Value);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }
}
