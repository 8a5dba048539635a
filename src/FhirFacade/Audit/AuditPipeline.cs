using System.Diagnostics;
using FhirCare.FhirFacade.Rest;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// The middleware that records every FHIR request: its AuditEvent is stored before the response starts (so a client
/// that got an answer can rely on it being audited), and one log line says what was done without any of the request's
/// data — interaction, type, id and status, never the query string, which holds names and birth dates.
/// </summary>
public static class AuditPipeline
{
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<AuditOptions>(config.GetSection("Audit"));
        services.AddSingleton<AuditLog>();
        return services;
    }

    public static void UseAudit(this WebApplication app)
    {
        var enabled = app.Services.GetRequiredService<IOptions<AuditOptions>>().Value.Enabled;
        var log = enabled ? app.Services.GetRequiredService<AuditLog>() : null;
        var clock = app.Services.GetRequiredService<TimeProvider>();
        var baseUrl = app.Services.GetRequiredService<BaseUrl>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirCare.Requests");
        app.Use(async (context, next) =>
        {
            if (!FhirRoutes.IsFhirPath(context.Request.Path) || HttpMethods.IsOptions(context.Request.Method))
            {
                await next(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            var request = AuditedRequest.Of(context.Request);
            if (log is not null)
            {
                context.Features.Set(new AuditFacts());
                context.Response.OnStarting(async () =>
                {
                    try
                    {
                        await log.RecordAsync(AuditRecord.Of(context, request, Requester.Of(context), clock.GetUtcNow(), baseUrl.Of(context.Request)));
                    }
                    catch (Exception e) when (context.Response.StatusCode >= 500)
                    {
                        // The store is failing: the request failed too and says so. Any other answer is withheld (the
                        // exception aborts it), so no client is told of a success that left no AuditEvent.
                        logger.LogError(e, "The AuditEvent of a failed request could not be stored");
                    }
                });
            }
            await next(context);
            if (logger.IsEnabled(LogLevel.Information))
                logger.LogInformation("{Method} {Interaction} {Type} {Id} answered {Status} in {Elapsed:0.0} ms",
                    context.Request.Method, context.Features.Get<AuditFacts>()?.Interaction ?? (request.Operation is { } op ? "$" + op : request.Interaction) ?? "unknown",
                    request.Type is { } type && ResourceTypes.Served.Contains(type) ? type : "-",
                    request.Id is { } id && ResourceTypes.IsValidId(id) ? id : "-",
                    context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
    }
}
