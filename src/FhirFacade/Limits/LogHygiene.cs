namespace FhirCare.FhirFacade.Limits;

/// <summary>
/// No health information in logs. ASP.NET Core's request logging writes the full URL, and FHIR search URLs carry
/// names and birth dates (<c>Patient?name=…&amp;birthdate=…</c>): it is held at Warning whatever the configuration
/// says, and the server's own line per request (FhirCare.Requests, Audit/AuditPipeline) names only the interaction,
/// type, id and status.
/// </summary>
public static class LogHygiene
{
    public static readonly string[] UrlLoggingCategories = ["Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.HttpLogging"];

    public static void AddLogHygiene(this ILoggingBuilder logging)
    {
        foreach (var category in UrlLoggingCategories) logging.AddFilter(category, LogLevel.Warning);
    }
}
