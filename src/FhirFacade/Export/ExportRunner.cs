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
        await foreach (var id in _queue.Reader.ReadAllAsync(stopping))
        {
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

    private async Task RunAsync(ExportJob job, CancellationToken ct)
    {
        var folder = FolderOf(job.Id);
        DeleteFolder(job.Id);
        Directory.CreateDirectory(folder);
        job = job with { Status = ExportStatus.Running, Output = [], Progress = "starting" };
        await SaveAsync(job, ct);

        var filters = await TypeFiltersAsync(job, ct);
        var members = job.Level == ExportLevel.Group ? await GroupMembersAsync(job.GroupId!, ct) : null;
        var output = new List<ExportFile>();
        var clock = Stopwatch.StartNew();
        long total = 0;
        for (var t = 0; t < job.Types.Count; t++)
        {
            var type = job.Types[t];
            using var files = new NdjsonFiles(folder, type, _options.MaxFileBytes);
            await foreach (var page in PagesAsync(job, type, Filter(job, filters.GetValueOrDefault(type)), members, ct))
            {
                ct.ThrowIfCancellationRequested();
                foreach (var resource in page) files.Write(resource.Json);
                total += page.Count;
                if (clock.Elapsed > ProgressEvery)
                {
                    clock.Restart();
                    await SaveAsync(job with { Progress = $"{total:N0} resources written; {type} ({t + 1} of {job.Types.Count} types)" }, ct);
                }
            }
            output.AddRange(files.Close());
        }
        ct.ThrowIfCancellationRequested();
        await SaveAsync(job with { Status = ExportStatus.Completed, Output = output, Progress = $"{total:N0} resources written" }, ct);
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

    private async Task<Dictionary<string, List<SearchExpression>>> TypeFiltersAsync(ExportJob job, CancellationToken ct)
    {
        var byType = new Dictionary<string, List<SearchExpression>>();
        foreach (var typeFilter in job.TypeFilters)
        {
            var (type, query) = ExportJob.SplitTypeFilter(typeFilter);
            var parsed = await conditional.ParseAsync(type, query, "_typeFilter", ct);
            if (parsed.Filter is not null) (byType.TryGetValue(type, out var list) ? list : byType[type] = []).Add(parsed.Filter);
        }
        return byType;
    }

    /// <summary>The patients a Group lists in Group.member.entity (references to Patient/[id]), read when the job runs.</summary>
    private async Task<IReadOnlyList<string>> GroupMembersAsync(string groupId, CancellationToken ct)
    {
        var group = await store.ReadAsync("Group", groupId, ct);
        if (group is null || group.Deleted) throw new InvalidOperationException($"Group/{groupId} no longer exists");
        var poco = (Hl7.Fhir.Model.Group)FhirResponses.ParseStored(group);
        return poco.Member.Select(m => m.Entity?.Reference).OfType<string>()
            .Where(r => r.StartsWith("Patient/", StringComparison.Ordinal)).Select(r => r["Patient/".Length..].Split('/')[0]).Distinct().ToList();
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
