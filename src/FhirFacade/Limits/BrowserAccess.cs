namespace FhirCare.FhirFacade.Limits;

/// <summary>
/// CORS for browser apps (SMART apps run in the browser): the origins in <c>Cors:Origins</c> ("*" for any) may call
/// the API with any method and header, and read the headers FHIR clients need (ETag, Location, Content-Location,
/// Last-Modified, X-Progress, Retry-After). No origins configured: no CORS headers, browsers allow same-origin only.
/// </summary>
public static class BrowserAccess
{
    public static readonly string[] ExposedHeaders = ["ETag", "Location", "Content-Location", "Last-Modified", "X-Progress", "Retry-After"];

    public static IServiceCollection AddBrowserAccess(this IServiceCollection services, IConfiguration config)
    {
        var origins = config.GetSection("Cors:Origins").Get<string[]>() ?? [];
        if (origins.Length == 0) return services;
        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (origins.Contains("*")) policy.AllowAnyOrigin();
            else policy.WithOrigins(origins);
            policy.AllowAnyMethod().AllowAnyHeader().WithExposedHeaders(ExposedHeaders).SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));
        return services;
    }

    public static void UseBrowserAccess(this WebApplication app)
    {
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null) app.UseCors();
    }
}
