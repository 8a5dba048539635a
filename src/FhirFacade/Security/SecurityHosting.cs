using System.Security.Cryptography;
using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace FhirCare.FhirFacade.Security;

/// <summary>
/// Authentication (bearer JWTs checked by ASP.NET Core's JwtBearer against the configured issuers, audience and keys),
/// the embedded SMART Backend Services token endpoint (OpenIddict) and the authorization filter on the FHIR routes.
/// </summary>
public static class SecurityHosting
{
    public const string TokenPath = "auth/token";

    public static void AddFhirSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection("Security");
        var options = section.Get<SecurityOptions>() ?? new SecurityOptions();
        options.IsEnabled = options.Enabled ?? !builder.Environment.IsDevelopment();
        services.Configure<SecurityOptions>(section);
        services.PostConfigure<SecurityOptions>(o => o.IsEnabled = options.IsEnabled);
        services.AddSingleton<AccessRules>();
        services.AddHttpContextAccessor();
        services.AddAuthorization();
        if (!options.IsEnabled) return;

        var signingKey = SigningKey(options.Embedded.SigningKeyPath);
        var issuers = new List<string>();
        var keys = new List<SecurityKey>();
        if (options.Embedded.Enabled)
        {
            issuers.Add(options.Embedded.Issuer);
            keys.Add(signingKey);
            AddTokenEndpoint(services, options, signingKey);
        }
        if (!string.IsNullOrEmpty(options.Issuer)) issuers.Add(options.Issuer);
        if (!string.IsNullOrEmpty(options.JwksPath)) keys.AddRange(new JsonWebKeySet(File.ReadAllText(options.JwksPath)).GetSigningKeys());

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            if (!string.IsNullOrEmpty(options.Authority))
            {
                o.Authority = options.Authority;
                o.RequireHttpsMetadata = options.Authority.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
            }
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudience = options.Audience,
                ValidIssuers = issuers,
                IssuerSigningKeys = keys,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "sub",
            };
            o.Events = new JwtBearerEvents { OnChallenge = ChallengeAsync };
        });
    }

    /// <summary>401 as an OperationOutcome, with the RFC 6750 challenge.</summary>
    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var description = context.AuthenticateFailure switch
        {
            null => "A bearer access token is required",
            SecurityTokenExpiredException => "The access token expired",
            SecurityTokenNotYetValidException => "The access token is not valid yet",
            SecurityTokenInvalidAudienceException => "The access token is not for this server (audience)",
            SecurityTokenInvalidIssuerException => "The access token's issuer is not trusted",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The access token's signature is not valid",
            _ => "The access token is not valid",
        };
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"FhirCare\", error=\"invalid_token\", error_description=\"{description}\"";
        await FhirResponses.WriteOutcomeAsync(context.HttpContext, Outcomes.Error(OperationOutcome.IssueType.Login, description), 401);
    }

    private static RsaSecurityKey SigningKey(string? path)
    {
        var rsa = RSA.Create(2048);
        if (string.IsNullOrEmpty(path)) return new RsaSecurityKey(rsa) { KeyId = "fhircare-" + Guid.NewGuid().ToString("N")[..8] };
        if (File.Exists(path)) rsa.ImportFromPem(File.ReadAllText(path));
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        }
        return new RsaSecurityKey(rsa) { KeyId = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16] };
    }

    private static void AddTokenEndpoint(IServiceCollection services, SecurityOptions options, SecurityKey signingKey)
    {
        var database = "fhircare-clients-" + Guid.NewGuid().ToString("N");
        services.AddDbContext<ClientRegistry>(o =>
        {
            o.UseInMemoryDatabase(database);
            o.UseOpenIddict();
        });
        services.AddSingleton<ClientAssertionReplay>();
        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<ClientRegistry>())
            .AddServer(o =>
            {
                o.SetIssuer(new Uri(options.Embedded.Issuer, UriKind.Absolute));
                o.SetTokenEndpointUris(TokenPath);
                o.AllowClientCredentialsFlow();
                o.SetAccessTokenLifetime(TimeSpan.FromMinutes(options.Embedded.TokenLifetimeMinutes));
                o.AddSigningKey(signingKey);
                o.AddEphemeralEncryptionKey();
                o.DisableAccessTokenEncryption();
                o.DisableTokenStorage();
                o.DisableAuthorizationStorage();
                o.DisableScopeValidation();
                o.IgnoreScopePermissions();
                o.AddEventHandler<ProcessAuthenticationContext>(h => h
                    .UseSingletonHandler<ClientAssertionReplay>()
                    .SetOrder(OpenIddictServerHandlers.ValidateClientAssertionAudience.Descriptor.Order + 1)
                    .AddFilter<OpenIddictServerHandlerFilters.RequireClientAssertionPrincipal>()
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.RemoveEventHandler(OpenIddictServerHandlers.ValidateClientAssertionAudience.Descriptor);
                o.AddEventHandler(SmartAssertionAudience.Descriptor);
                o.AddEventHandler(SmartAssertionType.Allow.Descriptor);
                o.AddEventHandler(SmartAssertionType.Restore.Descriptor);
                // TLS is terminated in front of the server (as for the FHIR endpoints); the issuer URL says https in production.
                o.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            });
        services.AddHostedService<ClientRegistration>();
    }

    /// <summary>Middleware and endpoints: authentication, the token endpoint, the SMART discovery document.</summary>
    public static void UseFhirSecurity(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityOptions>>().Value;
        if (!options.IsEnabled)
        {
            app.Logger.LogWarning("SECURITY IS OFF (Security:Enabled=false): every client may read and write everything without a token. Never run like this with real patient data.");
            return;
        }
        app.UseAuthentication();
        app.UseAuthorization();
        if (options.Embedded.Enabled) app.MapPost("/" + TokenPath, TokenEndpoint.HandleAsync).WithTags("Security").WithSummary("SMART Backend Services token endpoint (client_credentials, private_key_jwt)").DisableAntiforgery();
        app.MapGet("/.well-known/smart-configuration", SmartConfiguration.HandleAsync).WithTags("Security").WithSummary("SMART on FHIR discovery").AllowAnonymous();
    }

    /// <summary>On the FHIR route group: a token is required (when security is on) and every endpoint goes through <see cref="AccessFilter"/>.</summary>
    public static RouteGroupBuilder WithAccessControl(this RouteGroupBuilder group, IServiceProvider services)
    {
        if (services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityOptions>>().Value.IsEnabled)
        {
            group.RequireAuthorization();
            group.AddEndpointFilter<AccessFilter>();
        }
        return group;
    }
}

/// <summary>The registered clients as OpenIddict applications (an in-memory store, filled from configuration at start-up).</summary>
public sealed class ClientRegistry(DbContextOptions<ClientRegistry> options) : DbContext(options);
