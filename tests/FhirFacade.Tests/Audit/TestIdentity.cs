using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Tests.Audit;

/// <summary>
/// Test-only authentication: the claims of an <c>X-Test-Claims</c> header (<c>client_id=a; sub=b</c>) become the
/// request's principal, standing in for the bearer tokens the auth pipeline validates. Registered only by tests,
/// through <see cref="FhirServer.With(IDictionary{string, string?}, Action{IServiceCollection})"/>.
/// </summary>
public sealed class TestIdentity(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Scheme = "Test", Header = "X-Test-Claims";

    public static void Register(IServiceCollection services) =>
        services.AddAuthentication(o =>
        {
            o.DefaultScheme = Scheme;
            o.DefaultAuthenticateScheme = Scheme;
            o.DefaultChallengeScheme = Scheme;
        }).AddScheme<AuthenticationSchemeOptions, TestIdentity>(Scheme, null);

    public static HttpRequestMessage As(HttpRequestMessage request, string claims)
    {
        request.Headers.Add(Header, claims);
        return request;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers[Header].ToString();
        if (header.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        var claims = header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2)).Select(kv => new Claim(kv[0], kv[1]));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme)));
    }
}
