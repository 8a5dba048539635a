using System.Net;
using System.Security.Claims;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// Who made a request: the client, the user, the patient context and the vendor from the authenticated principal's
/// claims (<c>client_id</c>, <c>sub</c>, <c>patient</c>, <c>fhircare_vendor</c>, <c>scope</c>), and the source address.
/// Without authentication every claim is null and the request is recorded as an anonymous client.
/// </summary>
public sealed record Requester(string? ClientId, string? User, string? Patient, string? Vendor, string? Scope, string? Address)
{
    public const string VendorClaim = "fhircare_vendor";

    public static Requester Of(HttpContext context)
    {
        var principal = context.User;
        var authenticated = principal.Identities.Any(i => i.IsAuthenticated);
        string? Claim(params string[] types) => authenticated
            ? types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v))
            : null;
        var scopes = authenticated ? principal.FindAll("scope").Select(c => c.Value).ToList() : [];
        return new Requester(
            Claim("client_id", "azp"),
            Claim("sub", ClaimTypes.NameIdentifier),
            Claim("patient"),
            Claim(VendorClaim),
            scopes.Count == 0 ? null : string.Join(' ', scopes),
            AddressOf(context.Connection.RemoteIpAddress));
    }

    public bool Anonymous => ClientId is null && User is null;

    /// <summary>The rate limiter's partition: the client, else the source address.</summary>
    public string Partition => ClientId is { } client ? "client:" + client : "address:" + (Address ?? "unknown");

    private static string? AddressOf(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
