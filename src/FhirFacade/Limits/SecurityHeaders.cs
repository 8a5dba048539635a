using FhirCare.FhirFacade.Rest;

namespace FhirCare.FhirFacade.Limits;

/// <summary>
/// Headers every response carries so browsers neither sniff, frame nor leak it, and FHIR responses (which hold
/// health information) are never cached; HSTS outside Development (sent on HTTPS only).
/// </summary>
public static class SecurityHeaders
{
    public static void UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.Use((context, next) =>
        {
            var response = context.Response;
            // Set when the response starts: error handling clears headers set earlier.
            response.OnStarting(() =>
            {
                var headers = response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers.ContentSecurityPolicy = "frame-ancestors 'none'";
                headers["Referrer-Policy"] = "no-referrer";
                if (FhirRoutes.IsFhirPath(context.Request.Path) && !context.Request.Path.StartsWithSegments("/metadata"))
                    headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
