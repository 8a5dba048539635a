namespace FhirCare.FhirFacade.Export;

public enum ExportLevel { System, Patient, Group }

public enum ExportStatus { Accepted, Running, Completed, Failed }

/// <summary>One NDJSON file of an export: its resource type, file name (in the job's folder) and line count.</summary>
public sealed record ExportFile(string Type, string Name, long Count);

/// <summary>
/// A problem the export reports in its error file (one OperationOutcome line each) instead of failing: a type whose
/// _typeFilter cannot be evaluated, a resource that cannot be read, a requested patient who is not there.
/// </summary>
public sealed record ExportIssue(string Severity, string Code, string Diagnostics, string? Expression = null);

/// <summary>
/// A Bulk Data export job (Bulk Data IG v2, export.html) as persisted: what was asked for at kick-off, and how far it
/// got. <see cref="TypeFilters"/> holds each _typeFilter query ("Observation?status=final").
/// </summary>
public sealed record ExportJob(
    string Id, ExportLevel Level, string? GroupId, IReadOnlyList<string> Types, DateTimeOffset? Since,
    IReadOnlyList<string> TypeFilters, DateTimeOffset TransactionTime, string Request)
{
    public ExportStatus Status { get; init; } = ExportStatus.Accepted;
    public string? Progress { get; init; }
    public IReadOnlyList<ExportFile> Output { get; init; } = [];
    public IReadOnlyList<ExportFile> Errors { get; init; } = [];

    /// <summary>_elements: "element" (every type) or "Type.element"; empty: whole resources.</summary>
    public IReadOnlyList<string> Elements { get; init; } = [];

    /// <summary>The <c>patient</c> parameter: only these patients' records (Patient and Group level); null: all of them.</summary>
    public IReadOnlyList<string>? Patients { get; init; }

    /// <summary>Problems found at kick-off that a lenient request let through; written to the error file with the run's own.</summary>
    public IReadOnlyList<ExportIssue> KickOffIssues { get; init; } = [];

    /// <summary>Why the job failed (Status Failed), for the status request's OperationOutcome.</summary>
    public string? Failure { get; init; }

    /// <summary>"Observation?status=final" → ("Observation", "status=final"); the type is empty when there is no '?'.</summary>
    public static (string Type, string Query) SplitTypeFilter(string typeFilter)
    {
        var question = typeFilter.IndexOf('?');
        return question < 0 ? ("", typeFilter) : (typeFilter[..question], typeFilter[(question + 1)..]);
    }
}

/// <summary>
/// Where export jobs are kept so that they survive a restart. A table of the store's own database rather than a FHIR
/// resource: jobs are server bookkeeping that must not show up in searches, history or the exports themselves.
/// </summary>
public interface IExportJobStore
{
    Task SaveAsync(ExportJob job, CancellationToken ct);

    Task<ExportJob?> ReadAsync(string id, CancellationToken ct);

    /// <summary>Jobs that were accepted or running (after a restart: to run again).</summary>
    Task<IReadOnlyList<ExportJob>> UnfinishedAsync(CancellationToken ct);

    Task DeleteAsync(string id, CancellationToken ct);
}

/// <summary>The "Export" configuration section.</summary>
public sealed class ExportOptions
{
    /// <summary>Where NDJSON files are written, one folder per job; empty: an "export" folder beside the database.</summary>
    public string? OutputPath { get; set; }

    /// <summary>An output file is closed and a new one started once it holds this many bytes.</summary>
    public long MaxFileBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Resources read from the store per query.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Whether this server runs export jobs; false: it accepts and serves them, another node runs them.</summary>
    public bool RunJobs { get; set; } = true;

    /// <summary>How often an idle runner looks in the job store for jobs other servers accepted.</summary>
    public double PollSeconds { get; set; } = 2;
}
