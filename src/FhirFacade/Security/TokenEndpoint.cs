using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace FhirCare.FhirFacade.Security;

/// <summary>
/// The embedded token endpoint for SMART Backend Services (backend-services.html): OpenIddict authenticates the client
/// by its private_key_jwt assertion (signature against the registered JWKS, iss/sub, aud = this endpoint, exp) and
/// this handler decides what the token says: the requested scopes the client is registered for, and its context.
/// </summary>
public static class TokenEndpoint
{
    public static IResult HandleAsync(HttpContext context, Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict token request");
        var security = options.Value;
        var client = security.Embedded.Clients.FirstOrDefault(c => c.ClientId == request.ClientId);
        if (client is null || !request.IsClientCredentialsGrantType())
            return Refuse(Errors.UnauthorizedClient, "Only registered backend clients may use client_credentials here");
        var allowed = SmartScope.ParseAll(client.Scopes);
        var granted = request.GetScopes().Where(s => SmartScope.TryParse(s, out var asked) && allowed.Any(a => a.Covers(asked))).Distinct().ToList();
        if (granted.Count == 0)
            return Refuse(Errors.InvalidScope, "None of the requested scopes is one this client is registered for");

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
        identity.SetClaim(Claims.Subject, client.ClientId);
        identity.SetClaim(AccessRules.ClientClaim, client.ClientId);
        if (!string.IsNullOrEmpty(client.Vendor)) identity.SetClaim(AccessRules.VendorClaim, client.Vendor);
        if (!string.IsNullOrEmpty(client.Patient)) identity.SetClaim(AccessRules.PatientClaim, client.Patient);
        identity.SetScopes(granted);
        identity.SetResources(security.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}

/// <summary>
/// Refuses a client assertion whose jti was already used by the same client (RFC 7523 §3, SMART Backend Services), or
/// that has no jti, has expired or is valid for more than five minutes. Seen ids are kept until their assertion expires.
/// </summary>
public sealed class ClientAssertionReplay(TimeProvider time) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var assertion = context.ClientAssertionPrincipal!;
        var now = time.GetUtcNow();
        var jti = assertion.GetClaim(Claims.JwtId);
        var expires = assertion.GetExpirationDate();
        if (string.IsNullOrEmpty(jti) || expires is null)
            context.Reject(Errors.InvalidClient, "The client assertion must have a jti and an exp");
        else if (expires.Value < now)
            context.Reject(Errors.InvalidClient, "The client assertion expired");
        else if (expires.Value - now > MaxLifetime + TimeSpan.FromSeconds(30))
            context.Reject(Errors.InvalidClient, "The client assertion must expire within five minutes");
        else
        {
            foreach (var (key, until) in _seen)
                if (until < now) _seen.TryRemove(key, out _);
            if (!_seen.TryAdd(assertion.GetClaim(Claims.Issuer) + " " + jti, expires.Value))
                context.Reject(Errors.InvalidClient, "The client assertion was already used (jti replay)");
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Accepts client assertions typed "JWT", as SMART Backend Services prescribes (its assertion header has typ "JWT"),
/// besides RFC 7523bis's "client-authentication+jwt" that OpenIddict demands. OpenIddict takes a "JWT" for an id_token,
/// so the type is allowed before the token is validated (<see cref="Allow"/>) and the principal is marked as a client
/// assertion again afterwards (<see cref="Restore"/>), for that one validation only. Signature, issuer = subject =
/// client, audience and lifetime are still checked by OpenIddict, so a token of another kind cannot pass as one.
/// </summary>
public static class SmartAssertionType
{
    private const string ClientAssertionType = "urn:openiddict:params:oauth:token-type:client_assertion";
    private const string Marker = "fhircare:smart-typ-jwt";

    public sealed class Allow(Microsoft.Extensions.Options.IOptions<SecurityOptions> options) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<Allow>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateIdentityModelToken.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ValidateTokenContext context)
        {
            if (context.TokenValidationParameters?.ValidTypes is { } types && types.Contains(JsonWebTokenTypes.ClientAuthentication))
            {
                // SMART's audience: the token endpoint URL (see SmartAssertionAudience).
                if (context.ValidAudiences.Count > 0) context.ValidAudiences.Add(SmartConfiguration.TokenUrl(options.Value)!);
                if (types.Contains("JWT")) return ValueTask.CompletedTask;
                context.TokenValidationParameters.ValidTypes = [.. types, "JWT"];
                context.Transaction.Properties[Marker] = true;
            }
            return ValueTask.CompletedTask;
        }
    }

    public sealed class Restore : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<Restore>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidatePrincipal.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ValidateTokenContext context)
        {
            if (context.Principal is { } principal && context.ValidTokenTypes.Contains(ClientAssertionType) && context.Transaction.Properties.Remove(Marker)
                && principal.GetTokenType() == TokenTypeIdentifiers.IdentityToken)
                principal.SetTokenType(ClientAssertionType);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// The audience rule of SMART Backend Services: a client assertion names the token endpoint URL as its audience
/// (backend-services.html, "aud"). OpenIddict's own rule (RFC 7523bis: the issuer only) would refuse every SMART client,
/// so this handler takes its place and accepts either.
/// </summary>
public sealed class SmartAssertionAudience(Microsoft.Extensions.Options.IOptions<SecurityOptions> options) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .AddFilter<OpenIddictServerHandlerFilters.RequireClientAssertionPrincipal>()
        .UseSingletonHandler<SmartAssertionAudience>()
        .SetOrder(OpenIddictServerHandlers.ValidateClientAssertionAudience.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var issuer = options.Value.Embedded.Issuer;
        string[] accepted = [SmartConfiguration.TokenUrl(options.Value)!, issuer, issuer.TrimEnd('/')];
        if (!context.ClientAssertionPrincipal!.GetAudiences().Any(a => accepted.Contains(a, StringComparer.Ordinal)))
            context.Reject(Errors.InvalidClient, $"The client assertion's audience (aud) must be the token endpoint, {accepted[0]}");
        return ValueTask.CompletedTask;
    }
}

/// <summary>Registers the configured clients (id, public JWKS) with OpenIddict when the server starts.</summary>
public sealed class ClientRegistration(IServiceProvider services, Microsoft.Extensions.Options.IOptions<SecurityOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        foreach (var client in options.Value.Embedded.Clients)
        {
            if (string.IsNullOrEmpty(client.ClientId)) throw new InvalidOperationException("Security:Embedded:Clients: every client needs a ClientId");
            var jwks = client.Jwks is { Length: > 0 } inline ? inline
                : client.JwksPath is { Length: > 0 } path ? await File.ReadAllTextAsync(path, ct)
                : throw new InvalidOperationException($"Security:Embedded:Clients: client '{client.ClientId}' needs Jwks or JwksPath (its public keys)");
            if (await manager.FindByClientIdAsync(client.ClientId, ct) is not null) continue;
            await manager.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = client.ClientId,
                ClientType = ClientTypes.Confidential,
                JsonWebKeySet = new JsonWebKeySet(jwks),
                Permissions = { OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials },
            }, ct);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>GET /.well-known/smart-configuration (SMART App Launch conformance.html).</summary>
public static class SmartConfiguration
{
    public static IResult HandleAsync(Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
    {
        var o = options.Value;
        var token = TokenUrl(o);
        return Results.Json(new Dictionary<string, object?>
        {
            ["issuer"] = o.Embedded.Enabled ? o.Embedded.Issuer : o.Issuer ?? o.Authority,
            ["token_endpoint"] = token,
            ["token_endpoint_auth_methods_supported"] = new[] { "private_key_jwt" },
            ["token_endpoint_auth_signing_alg_values_supported"] = new[] { "RS384", "ES384" },
            ["grant_types_supported"] = new[] { "client_credentials" },
            ["scopes_supported"] = new[] { "system/*.cruds", "system/*.rs", "user/*.cruds", "patient/*.rs", "system/*.read", "system/*.write" },
            ["capabilities"] = new[] { "client-confidential-asymmetric", "permission-v1", "permission-v2" },
        }, contentType: "application/json");
    }

    public static string? TokenUrl(SecurityOptions o) =>
        o.Embedded.Enabled ? new Uri(new Uri(o.Embedded.Issuer, UriKind.Absolute), SecurityHosting.TokenPath).ToString() : null;
}
