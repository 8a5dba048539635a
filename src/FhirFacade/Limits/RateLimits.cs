using System.Globalization;
using System.Threading.RateLimiting;
using FhirCare.FhirFacade.Audit;
using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.RateLimiting;

namespace FhirCare.FhirFacade.Limits;

/// <summary>The "RateLimit" configuration section: requests per client per window (0: no limit).</summary>
public sealed class RateLimitOptions
{
    public int PermitsPerWindow { get; set; }

    public int WindowSeconds { get; set; } = 60;
}

/// <summary>
/// Per-client rate limiting with ASP.NET Core's rate limiter: a fixed window per client (the <c>client_id</c> claim,
/// else the source address) on FHIR paths; over the limit a request is answered 429 with an OperationOutcome and
/// <c>Retry-After</c>. Runs after authentication, so the client is known.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddFhirRateLimits(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("RateLimit").Get<RateLimitOptions>() ?? new RateLimitOptions();
        if (options.PermitsPerWindow <= 0) return services;
        var window = TimeSpan.FromSeconds(Math.Max(1, options.WindowSeconds));
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                FhirRoutes.IsFhirPath(context.Request.Path) && !HttpMethods.IsOptions(context.Request.Method)
                    ? RateLimitPartition.GetFixedWindowLimiter(Requester.Of(context).Partition, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = options.PermitsPerWindow,
                        Window = window,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
            o.OnRejected = async (rejected, _) =>
            {
                var context = rejected.HttpContext;
                var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
                var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await FhirResponses.WriteOutcomeAsync(context, Outcomes.Error(OperationOutcome.IssueType.Throttled,
                    $"Too many requests: at most {options.PermitsPerWindow} per {window.TotalSeconds:0} s for each client; try again in {seconds} s"), 429);
            };
        });
        return services;
    }

    public static void UseFhirRateLimits(this WebApplication app)
    {
        if (app.Services.GetService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>>()?.Value.GlobalLimiter is not null)
            app.UseRateLimiter();
    }
}
