using System.Globalization;
using System.Text.Json;
using FhirCare.FhirFacade.Export;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// Bulk Data export (HL7 Bulk Data Access IG v2, export.html): kick-off at system, Patient and Group level
/// (GET with query parameters or POST with a Parameters body, <c>Prefer: respond-async</c>; parameters in
/// <see cref="ExportKickOff"/>), answered
/// 202 with the status URL in Content-Location; the status URL answers 202 with X-Progress while the job runs, 200
/// with the completion manifest, 500 with an OperationOutcome if it failed, 404 for unknown jobs, and DELETE cancels
/// the job and deletes its files. Files are served as application/fhir+ndjson.
/// </summary>
public static class BulkExport
{
    // Ours (profiles/OperationDefinition-*export.json), each based on the Bulk Data IG's; they say how ours differ.
    public const string SystemDefinition = "https://fhircare.org/fhir/OperationDefinition/export";
    public const string PatientDefinition = "https://fhircare.org/fhir/OperationDefinition/patient-export";
    public const string GroupDefinition = "https://fhircare.org/fhir/OperationDefinition/group-export";
    public const string NdjsonMediaType = "application/fhir+ndjson";

    public static Task SystemAsync(HttpContext context, ExportRunner runner, PatientRecords records, ConditionalMatch conditional, BaseUrl baseUrl) =>
        KickOffAsync(context, ExportLevel.System, null, runner, records, conditional, baseUrl);

    public static Task PatientAsync(HttpContext context, ExportRunner runner, PatientRecords records, ConditionalMatch conditional, BaseUrl baseUrl) =>
        KickOffAsync(context, ExportLevel.Patient, null, runner, records, conditional, baseUrl);

    public static async Task GroupAsync(HttpContext context, string id, IFhirStore store, ExportRunner runner, PatientRecords records,
        ConditionalMatch conditional, BaseUrl baseUrl)
    {
        ResourceTypes.RequireId(id);
        var group = await store.ReadAsync("Group", id, context.RequestAborted) ?? throw FhirException.NotFound($"Group/{id} is not known");
        if (group.Deleted) throw Read.Gone(group);
        await KickOffAsync(context, ExportLevel.Group, id, runner, records, conditional, baseUrl);
    }

    private static async Task KickOffAsync(HttpContext context, ExportLevel level, string? groupId, ExportRunner runner,
        PatientRecords records, ConditionalMatch conditional, BaseUrl baseUrl)
    {
        var request = context.Request;
        if (!request.Headers["Prefer"].Any(p => p?.Split(',').Any(v => v.Trim() == "respond-async") == true))
            throw FhirException.BadRequest("$export runs asynchronously: send 'Prefer: respond-async'", "Prefer", OperationOutcome.IssueType.Required);
        var accept = request.Headers.Accept.ToString();
        if (accept.Length > 0 && !accept.Contains("application/fhir+json", StringComparison.Ordinal) && !accept.Contains("*/*", StringComparison.Ordinal)
            && !accept.Contains("application/json", StringComparison.Ordinal))
            throw FhirException.BadRequest($"$export answers with application/fhir+json, not '{accept}'", "Accept", OperationOutcome.IssueType.NotSupported);

        var parameters = HttpMethods.IsPost(request.Method)
            ? await ExportKickOff.FromBodyAsync(context, context.RequestServices.GetRequiredService<ResourceBody>())
            : ExportKickOff.FromQuery(request);
        var allowed = level == ExportLevel.System ? ResourceTypes.Served.Order(StringComparer.Ordinal).ToList() : records.CompartmentTypes;
        var byDefault = level == ExportLevel.System ? allowed : records.Types;
        var access = Security.AccessPolicy.Of(context);
        if (access.InContext)
            throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden, "Bulk export is not available to patient-context or vendor tokens (their data is read through search and $everything)");
        // Without _type the export holds what the token may read; a _type the token may not read is refused.
        await parameters.CheckAsync(level, allowed, byDefault.Where(t => access.Allows(t, Security.Permissions.Read)).ToList(), conditional, context.RequestAborted);
        foreach (var t in parameters.Types) access.Demand(t, Security.Permissions.Read);

        var root = baseUrl.Of(request);
        // The manifest's request is the kick-off URL; a POST's parameters are in its body, not in the URL (export.html).
        var job = new ExportJob(Guid.CreateVersion7().ToString("N"), level, groupId, parameters.Types, parameters.Since, parameters.TypeFilters,
            DateTimeOffset.UtcNow, $"{root}{request.Path}{(HttpMethods.IsPost(request.Method) ? "" : request.QueryString.ToString())}")
        {
            Elements = parameters.Elements,
            Patients = parameters.Patients,
            KickOffIssues = parameters.Issues,
        };
        await runner.StartAsync(job, context.RequestAborted);
        context.Response.StatusCode = 202;
        context.Response.Headers.ContentLocation = StatusUrl(root, job.Id);
    }

    public static string StatusUrl(string root, string jobId) => $"{root}/$export-status/{jobId}";

    public static async Task StatusAsync(HttpContext context, string id, IExportJobStore jobs, BaseUrl baseUrl)
    {
        var job = await jobs.ReadAsync(id, context.RequestAborted) ?? throw UnknownJob(id);
        var response = context.Response;
        switch (job.Status)
        {
            case ExportStatus.Accepted or ExportStatus.Running:
                response.StatusCode = 202;
                response.Headers["X-Progress"] = job.Status == ExportStatus.Accepted ? "queued" : job.Progress ?? "running";
                response.Headers.RetryAfter = "2";
                return;
            case ExportStatus.Failed:
                throw FhirException.Of(500, OperationOutcome.IssueType.Exception, job.Failure ?? "The export failed");
        }
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var root = baseUrl.Of(context.Request);
        await using var writer = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Indented = true, Encoder = FhirJson.Encoder });
        writer.WriteStartObject();
        writer.WriteString("transactionTime", job.TransactionTime.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
        writer.WriteString("request", job.Request);
        writer.WriteBoolean("requiresAccessToken", false);
        WriteFiles(writer, "output", job.Output, root, job.Id);
        WriteFiles(writer, "error", job.Errors, root, job.Id);
        writer.WriteEndObject();
    }

    private static void WriteFiles(Utf8JsonWriter writer, string name, IReadOnlyList<ExportFile> files, string root, string jobId)
    {
        writer.WriteStartArray(name);
        foreach (var f in files)
        {
            writer.WriteStartObject();
            writer.WriteString("type", f.Type);
            writer.WriteString("url", $"{root}/$export-file/{jobId}/{f.Name}");
            writer.WriteNumber("count", f.Count);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public static async Task CancelAsync(HttpContext context, string id, IExportJobStore jobs, ExportRunner runner)
    {
        _ = await jobs.ReadAsync(id, context.RequestAborted) ?? throw UnknownJob(id);
        await runner.CancelAsync(id, context.RequestAborted);
        context.Response.StatusCode = 202;
    }

    public static async Task FileAsync(HttpContext context, string id, string file, IExportJobStore jobs, ExportRunner runner)
    {
        var job = await jobs.ReadAsync(id, context.RequestAborted) ?? throw UnknownJob(id);
        var entry = job.Output.Concat(job.Errors).FirstOrDefault(f => f.Name == file)
            ?? throw FhirException.NotFound($"Export {id} has no file {file}");
        context.Response.ContentType = NdjsonMediaType;
        await context.Response.SendFileAsync(Path.Combine(runner.FolderOf(id), entry.Name), context.RequestAborted);
    }

    private static FhirException UnknownJob(string id) => FhirException.NotFound($"There is no export job {id} (unknown, cancelled or deleted)");
}
