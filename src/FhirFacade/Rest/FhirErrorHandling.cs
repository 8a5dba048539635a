using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Diagnostics;

namespace FhirCare.FhirFacade.Rest;

/// <summary>
/// Turns every failure on a FHIR path into an OperationOutcome with the right status; non-FHIR endpoints
/// (health, swagger) get RFC 9457 ProblemDetails. Unexpected exceptions are logged and answered 500 without details.
/// </summary>
public static class FhirErrorHandling
{
    public static void UseFhirErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (!FhirRoutes.IsFhirPath(http.Request.Path) || http.Response.HasStarted) return;
            var status = http.Response.StatusCode;
            var outcome = status switch
            {
                404 => Outcomes.Error(OperationOutcome.IssueType.NotFound, $"No FHIR endpoint at {http.Request.Path}"),
                405 => Outcomes.Error(OperationOutcome.IssueType.NotSupported, $"{http.Request.Method} is not supported on {http.Request.Path}"),
                _ => Outcomes.Error(OperationOutcome.IssueType.Processing, $"The request failed with status {status}"),
            };
            await FhirResponses.WriteOutcomeAsync(http, outcome, status);
        });
        // FhirExceptions are expected outcomes: answered here, before the exception handler would log them as errors.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (FhirException e) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await FhirResponses.WriteOutcomeAsync(context, e.Outcome, e.Status);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted && FhirRoutes.IsFhirPath(context.Request.Path))
            {
                context.Response.Clear();
                var code = e.StatusCode == 413 ? OperationOutcome.IssueType.TooCostly : OperationOutcome.IssueType.Invalid;
                await FhirResponses.WriteOutcomeAsync(context, Outcomes.Error(code, e.Message), e.StatusCode);
            }
        });
    }
}

/// <summary>The last resort for exceptions nobody expected: 500 OperationOutcome on FHIR paths, without a stack trace.</summary>
public sealed class UnexpectedExceptionHandler(ILogger<UnexpectedExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
        if (!FhirRoutes.IsFhirPath(context.Request.Path)) return false; // ProblemDetails
        await FhirResponses.WriteOutcomeAsync(context,
            Outcomes.Error(OperationOutcome.IssueType.Exception, $"An internal error occurred (trace id {context.TraceIdentifier})"), 500);
        return true;
    }
}
