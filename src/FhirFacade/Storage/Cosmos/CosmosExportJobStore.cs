using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Export;
using Microsoft.Azure.Cosmos;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>
/// Export jobs as documents of the resource container, in a partition of their own ("export-jobs"), so they survive
/// restarts and every server on the account sees them: any server answers the status of a job another accepted.
/// <c>k</c> says whether a job is unfinished ("export-job") or finished ("export-job-done"), so the unfinished ones
/// are found through the index (the container indexes <c>k</c> and <c>pk</c> only). Rare writes: one call each.
/// </summary>
public sealed class CosmosExportJobStore(CosmosFhirStore store, CosmosRequestCharges charges) : IExportJobStore
{
    private const string Partition = "export-jobs", Open = "export-job", Done = "export-job-done";
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly Container _container = store.Container;

    public async Task SaveAsync(ExportJob job, CancellationToken ct)
    {
        var document = new JsonObject
        {
            ["id"] = job.Id,
            ["pk"] = Partition,
            ["k"] = job.Status is ExportStatus.Completed or ExportStatus.Failed ? Done : Open,
            ["job"] = JsonSerializer.SerializeToNode(job, Json),
        };
        using var response = await _container.UpsertItemStreamAsync(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document)), new PartitionKey(Partition), cancellationToken: ct);
        charges.Record("upsert-export-job", response);
        Ensure(response, "save");
    }

    public async Task<ExportJob?> ReadAsync(string id, CancellationToken ct)
    {
        if (!IsJobId(id)) return null;
        using var response = await _container.ReadItemStreamAsync(id, new PartitionKey(Partition), cancellationToken: ct);
        charges.Record("read-export-job", response);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Ensure(response, "read");
        using var document = await JsonDocument.ParseAsync(response.Content, cancellationToken: ct);
        return document.RootElement.GetProperty("job").Deserialize<ExportJob>(Json);
    }

    public async Task<IReadOnlyList<ExportJob>> UnfinishedAsync(CancellationToken ct)
    {
        var jobs = new List<ExportJob>();
        var query = new QueryDefinition("SELECT c.job FROM c WHERE c.pk = @pk AND c.k = @k").WithParameter("@pk", Partition).WithParameter("@k", Open);
        using var iterator = _container.GetItemQueryStreamIterator(query, null, new QueryRequestOptions { PartitionKey = new PartitionKey(Partition), EnableOptimisticDirectExecution = true });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(ct);
            charges.Record("query-export-jobs", response);
            Ensure(response, "query");
            using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: ct);
            foreach (var row in page.RootElement.GetProperty("Documents").EnumerateArray())
                if (row.GetProperty("job").Deserialize<ExportJob>(Json) is { Status: ExportStatus.Accepted or ExportStatus.Running } job) jobs.Add(job);
        }
        return jobs;
    }

    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        if (!IsJobId(id)) return;
        using var response = await _container.DeleteItemStreamAsync(id, new PartitionKey(Partition), cancellationToken: ct);
        charges.Record("delete-export-job", response);
        if (response.StatusCode != HttpStatusCode.NotFound) Ensure(response, "delete");
    }

    private static void Ensure(ResponseMessage response, string operation)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Cosmos DB export job {operation} failed: {(int)response.StatusCode} {response.ErrorMessage}");
    }

    /// <summary>Ids are what the kick-off made (hex); anything else is not looked up.</summary>
    private static bool IsJobId(string id) => id.Length is > 0 and <= 64 && id.All(char.IsAsciiLetterOrDigit);
}
