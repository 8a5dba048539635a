using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Export;

/// <summary>
/// Runs export jobs in the background, one at a time, streaming each type's resources from the store a page at a time
/// into NDJSON files (memory stays flat whatever the export's size). Jobs are persisted: at start-up, jobs that were
/// accepted or running when the server stopped are run again from the beginning (their partial files deleted), so a
/// restart never leaves a job hanging.
/// </summary>
public sealed class ExportRunner(
    IExportJobStore jobs, IFhirStore store, PatientRecords records, ConditionalMatch conditional,
    IOptions<ExportOptions> options, ILogger<ExportRunner> logger) : BackgroundService
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<string, bool> _cancelled = new();
    private readonly ExportOptions _options = options.Value;

    public string FolderOf(string jobId) => Path.Combine(_options.OutputPath!, jobId);

    public async Task StartAsync(ExportJob job, CancellationToken ct)
    {
        await jobs.SaveAsync(job, ct);
        _queue.Writer.TryWrite(job.Id);
    }

    /// <summary>Cancels a job (running or not) and deletes it and its files.</summary>
    public async Task CancelAsync(string jobId, CancellationToken ct)
    {
        _cancelled[jobId] = true;
        await jobs.DeleteAsync(jobId, ct);
        if (_running.TryGetValue(jobId, out var cts)) await cts.CancelAsync(); // the runner deletes the files once it has closed them
        else DeleteFolder(jobId);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (!_options.RunJobs) return;
        await Task.Yield();
        foreach (var unfinished in await jobs.UnfinishedAsync(stopping))
        {
            logger.LogInformation("Export job {Id} was {Status} when the server stopped; running it again", unfinished.Id, unfinished.Status);
            _queue.Writer.TryWrite(unfinished.Id);
        }
        while (!stopping.IsCancellationRequested)
        {
            if (await NextAsync(stopping) is not { } id) continue;
            var job = await jobs.ReadAsync(id, stopping);
            if (job is null || job.Status is ExportStatus.Completed or ExportStatus.Failed || _cancelled.ContainsKey(id)) continue;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            _running[id] = cts;
            try
            {
                await RunAsync(job, cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                // cancelled (files deleted below), or the server is stopping: the job runs again at the next start
            }
            catch (Exception e)
            {
                logger.LogError(e, "Export job {Id} failed", id);
                await SaveAsync(job with { Status = ExportStatus.Failed, Failure = $"The export failed: {e.Message}" }, CancellationToken.None);
            }
            finally
            {
                _running.TryRemove(id, out _);
                if (_cancelled.ContainsKey(id)) DeleteFolder(id);
            }
        }
    }

    /// <summary>
    /// The next job accepted on this server, or else, once idle for <see cref="ExportOptions.PollSeconds"/>, one accepted
    /// by another server on the same store (queued here, null returned); null while there is none.
    /// </summary>
    private async Task<string?> NextAsync(CancellationToken stopping)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        wait.CancelAfter(TimeSpan.FromSeconds(_options.PollSeconds));
        try
        {
            return await _queue.Reader.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // Only jobs nobody started: a running one belongs to the server running it (or is resumed at our next start).
            foreach (var accepted in (await jobs.UnfinishedAsync(stopping)).Where(j => j.Status == ExportStatus.Accepted))
                _queue.Writer.TryWrite(accepted.Id);
            return null;
        }
    }

    /// <summary>Whether another server cancelled (deleted) the job; if so, this run stops and its files go.</summary>
    private async Task<bool> CancelledElsewhereAsync(string jobId, CancellationToken ct)
    {
        if (await jobs.ReadAsync(jobId, ct) is not null) return false;
        _cancelled[jobId] = true;
        return true;
    }

    private async Task RunAsync(ExportJob job, CancellationToken ct)
    {
        var folder = FolderOf(job.Id);
        DeleteFolder(job.Id);
        Directory.CreateDirectory(folder);
        job = job with { Status = ExportStatus.Running, Output = [], Errors = [], Progress = "starting" };
        await SaveAsync(job, ct);

        var issues = new List<ExportIssue>(job.KickOffIssues);
        var members = job.Level switch
        {
            ExportLevel.Group => await GroupMembersAsync(job, issues, ct),
            ExportLevel.Patient when job.Patients is { } asked => await ExistingPatientsAsync(asked, issues, ct),
            _ => null,
        };
        var output = new List<ExportFile>();
        var clock = Stopwatch.StartNew();
        long total = 0;
        for (var t = 0; t < job.Types.Count; t++)
        {
            var type = job.Types[t];
            List<SearchExpression> typeFilters;
            try
            {
                typeFilters = await TypeFiltersAsync(job, type, ct);
            }
            catch (FhirException e)
            {
                issues.Add(new ExportIssue("error", "not-supported",
                    $"No {type} was exported: its _typeFilter cannot be evaluated ({string.Join("; ", e.Outcome.Issue.Select(i => i.Diagnostics))})", "_typeFilter"));
                continue;
            }
            var elements = job.Elements.Count > 0 ? ElementSubset.For(type, job.Elements) : null;
            using var files = new NdjsonFiles(folder, type, _options.MaxFileBytes);
            await foreach (var page in PagesAsync(job, type, Filter(job, typeFilters), members, ct))
            {
                ct.ThrowIfCancellationRequested();
                foreach (var resource in page)
                {
                    if (elements is null) files.Write(resource.Json);
                    else if (Subset(resource, elements, issues) is { } subset) files.Write(subset);
                }
                total += page.Count;
                if (clock.Elapsed > ProgressEvery)
                {
                    clock.Restart();
                    if (await CancelledElsewhereAsync(job.Id, ct)) return;
                    await SaveAsync(job with { Progress = $"{total:N0} resources written; {type} ({t + 1} of {job.Types.Count} types)" }, ct);
                }
            }
            output.AddRange(files.Close());
        }
        ct.ThrowIfCancellationRequested();
        if (await CancelledElsewhereAsync(job.Id, ct)) return;
        var errors = WriteErrors(folder, issues);
        await SaveAsync(job with { Status = ExportStatus.Completed, Output = output, Errors = errors, Progress = $"{total:N0} resources written" }, ct);
    }

    private static byte[]? Subset(StoredResource resource, string[] elements, List<ExportIssue> issues)
    {
        try
        {
            return ElementSubset.Apply(resource.Json, elements);
        }
        catch (Exception e) when (e is Hl7.Fhir.Serialization.DeserializationFailedException or System.Text.Json.JsonException or FormatException)
        {
            issues.Add(new ExportIssue("error", "processing", $"{resource.Type}/{resource.Id} could not be read and was left out: {e.Message}"));
            return null;
        }
    }

    /// <summary>The error file (Bulk Data IG: OperationOutcome NDJSON, referenced in the manifest's "error"), one problem per line.</summary>
    private IReadOnlyList<ExportFile> WriteErrors(string folder, List<ExportIssue> issues)
    {
        if (issues.Count == 0) return [];
        using var files = new NdjsonFiles(folder, "OperationOutcome", _options.MaxFileBytes, prefix: "error");
        foreach (var issue in issues)
            files.Write(FhirJson.ToBytes(new Hl7.Fhir.Model.OperationOutcome
            {
                Issue =
                [
                    new Hl7.Fhir.Model.OperationOutcome.IssueComponent
                    {
                        Severity = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Hl7.Fhir.Model.OperationOutcome.IssueSeverity>(issue.Severity),
                        Code = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Hl7.Fhir.Model.OperationOutcome.IssueType>(issue.Code),
                        Diagnostics = issue.Diagnostics,
                        Expression = issue.Expression is null ? null : [issue.Expression],
                    },
                ],
            }));
        return files.Close();
    }

    /// <summary>The resources of one type, a page at a time: all of them, or those in the exported patients' compartments.</summary>
    private async IAsyncEnumerable<IReadOnlyList<StoredResource>> PagesAsync(ExportJob job, string type, SearchExpression filter,
        IReadOnlyList<string>? members, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (job.Level == ExportLevel.System)
        {
            string? cursor = null;
            do
            {
                var page = await store.SearchAsync(new SearchQuery(type, filter, [], _options.PageSize, 0, TotalMode.None) { Cursor = cursor }, ct);
                yield return page.Matches;
                cursor = page.Next;
            } while (cursor is not null);
            yield break;
        }
        var chunks = members is null ? records.AllPatientIdsAsync(ct) : members.Chunk(PatientRecords.PatientsPerQuery).Select(c => (IReadOnlyList<string>)c).ToAsyncEnumerable();
        await foreach (var ids in chunks)
        {
            string? cursor = null;
            do
            {
                var page = await records.PageAsync(type, ids, filter, cursor, _options.PageSize, withReferenced: false, ct);
                yield return page.Matches;
                cursor = page.Next;
            } while (cursor is not null);
        }
    }

    /// <summary>Resources as they were at the transaction time (none written later), since _since, matching any _typeFilter of the type.</summary>
    private static SearchExpression Filter(ExportJob job, List<SearchExpression>? typeFilters)
    {
        var t = job.TransactionTime.UtcTicks;
        var conditions = new List<SearchExpression> { new LastUpdatedCondition(Comparator.Le, t, t) };
        if (job.Since is { } since) conditions.Add(new LastUpdatedCondition(Comparator.Ge, since.UtcTicks, since.UtcTicks));
        if (typeFilters is { Count: > 0 }) conditions.Add(typeFilters.Count == 1 ? typeFilters[0] : new AnyOf(typeFilters));
        return new AllOf(conditions);
    }

    /// <summary>The type's _typeFilter conditions (any of them matches); throws when one cannot be evaluated.</summary>
    private async Task<List<SearchExpression>> TypeFiltersAsync(ExportJob job, string type, CancellationToken ct)
    {
        var filters = new List<SearchExpression>();
        foreach (var typeFilter in job.TypeFilters)
        {
            var (filterType, query) = ExportJob.SplitTypeFilter(typeFilter);
            if (filterType != type) continue;
            var parsed = await conditional.ParseAsync(type, query, "_typeFilter", ct);
            if (parsed.Filter is not null) filters.Add(parsed.Filter);
        }
        return filters;
    }

    /// <summary>
    /// The patients a Group lists in Group.member.entity (references to Patient/[id]), read when the job runs; with the
    /// <c>patient</c> parameter, only those of them, and each asked-for patient who is not a member is reported.
    /// </summary>
    private async Task<IReadOnlyList<string>> GroupMembersAsync(ExportJob job, List<ExportIssue> issues, CancellationToken ct)
    {
        var group = await store.ReadAsync("Group", job.GroupId!, ct);
        if (group is null || group.Deleted) throw new InvalidOperationException($"Group/{job.GroupId} no longer exists");
        var poco = (Hl7.Fhir.Model.Group)FhirResponses.ParseStored(group);
        var members = poco.Member.Select(m => m.Entity?.Reference).OfType<string>()
            .Where(r => r.StartsWith("Patient/", StringComparison.Ordinal)).Select(r => r["Patient/".Length..].Split('/')[0]).Distinct().ToList();
        if (job.Patients is not { } asked) return members;
        foreach (var id in asked.Where(id => !members.Contains(id)))
            issues.Add(new ExportIssue("error", "not-found", $"Patient/{id} is not a member of Group/{job.GroupId}; nothing of it was exported", "patient"));
        return members.Where(asked.Contains).ToList();
    }

    /// <summary>The asked-for patients that exist; each one that does not is reported.</summary>
    private async Task<IReadOnlyList<string>> ExistingPatientsAsync(IReadOnlyList<string> asked, List<ExportIssue> issues, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var id in asked)
        {
            if (await store.ReadAsync("Patient", id, ct) is { Deleted: false }) found.Add(id);
            else issues.Add(new ExportIssue("error", "not-found", $"Patient/{id} is not known; nothing of it was exported", "patient"));
        }
        return found;
    }

    private Task SaveAsync(ExportJob job, CancellationToken ct) =>
        _cancelled.ContainsKey(job.Id) ? Task.CompletedTask : jobs.SaveAsync(job, ct);

    private void DeleteFolder(string jobId)
    {
        var folder = FolderOf(jobId);
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException e)
        {
            logger.LogWarning(e, "Could not delete the files of export job {Id}", jobId);
        }
    }
}
