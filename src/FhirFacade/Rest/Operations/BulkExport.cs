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
/// (GET, <c>Prefer: respond-async</c>, <c>_outputFormat</c>, <c>_since</c>, <c>_type</c>, <c>_typeFilter</c>), answered
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

    private static readonly HashSet<string> OutputFormats = [NdjsonMediaType, "application/ndjson", "ndjson"];

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

        var query = request.Query;
        foreach (var name in query.Keys)
            if (name is not ("_outputFormat" or "_since" or "_type" or "_typeFilter"))
                throw FhirException.BadRequest($"$export parameter '{name}' is not supported (supported: _outputFormat, _since, _type, _typeFilter)", name, OperationOutcome.IssueType.NotSupported);
        if (query.TryGetValue("_outputFormat", out var format) && !OutputFormats.Contains(format[0] ?? ""))
            throw FhirException.BadRequest($"_outputFormat '{format[0]}' is not supported: use {NdjsonMediaType}", "_outputFormat", OperationOutcome.IssueType.NotSupported);

        DateTimeOffset? since = null;
        if (query.TryGetValue("_since", out var sinceValue))
        {
            if (!DateTimeOffset.TryParse(sinceValue[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) || !sinceValue[0]!.Contains('T'))
                throw FhirException.BadRequest($"_since must be an instant with a time and zone (e.g. 2024-01-01T00:00:00Z), not '{sinceValue[0]}'", "_since");
            since = instant;
        }

        var access = Security.AccessPolicy.Of(context);
        if (access.InContext)
            throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden, "Bulk export is not available to patient-context or vendor tokens (their data is read through search and $everything)");
        var allowed = level == ExportLevel.System ? ResourceTypes.Served.Order(StringComparer.Ordinal).ToList() : records.Types;
        var types = allowed.Where(t => access.Allows(t, Security.Permissions.Read)).ToList();
        if (query.TryGetValue("_type", out var typeValues))
        {
            var asked = typeValues.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();
            foreach (var t in asked)
            {
                if (!ResourceTypes.Served.Contains(t)) throw FhirException.BadRequest($"_type: '{t}' is not a resource type this server serves", "_type");
                if (!allowed.Contains(t)) throw FhirException.BadRequest($"_type: no {t} can be in a Patient compartment, so a {level}-level export has none", "_type");
            }
            foreach (var t in asked) access.Demand(t, Security.Permissions.Read);
            types = asked;
        }

        var typeFilters = query.TryGetValue("_typeFilter", out var filterValues) ? filterValues.OfType<string>().ToList() : [];
        foreach (var typeFilter in typeFilters)
        {
            var (type, criteria) = ExportJob.SplitTypeFilter(typeFilter);
            if (!ResourceTypes.Served.Contains(type))
                throw FhirException.BadRequest($"_typeFilter '{typeFilter}' must start with a resource type and '?' (e.g. Observation?status=final)", "_typeFilter");
            if (!types.Contains(type))
                throw FhirException.BadRequest($"_typeFilter '{typeFilter}' is for {type}, which this export does not include", "_typeFilter");
            await conditional.ParseAsync(type, criteria, "_typeFilter", context.RequestAborted); // refuse bad criteria now, not in the job
        }

        var root = baseUrl.Of(request);
        var job = new ExportJob(Guid.CreateVersion7().ToString("N"), level, groupId, types, since, typeFilters, DateTimeOffset.UtcNow,
            $"{root}{request.Path}{request.QueryString}");
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
