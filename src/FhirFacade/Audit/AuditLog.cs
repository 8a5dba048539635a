using System.Threading.Channels;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// Durable AuditEvents without one commit per request: requests queue their event and wait; one loop takes every
/// event queued meanwhile and stores them in one <see cref="IFhirStore.CommitAsync"/> (group commit), then releases
/// their requests. A request therefore never answers before its AuditEvent is stored, and a busy server pays one
/// commit for many events. Writing straight to the store (not through the API) means audit writes are not audited.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private const int MaxBatch = 512;

    private sealed record Pending(ResourceWrite Write, TaskCompletionSource Stored);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IFhirStore _store;
    private readonly VersionedWrites _writes;
    private readonly ILogger<AuditLog> _logger;
    private readonly Task _loop;

    public AuditLog(IFhirStore store, VersionedWrites writes, ILogger<AuditLog> logger)
    {
        _store = store;
        _writes = writes;
        _logger = logger;
        _loop = Task.Run(DrainAsync);
    }

    /// <summary>Completes when <paramref name="audit"/> is stored; fails (and so fails the request) when it cannot be.</summary>
    public Task RecordAsync(AuditEvent audit)
    {
        var (write, _) = _writes.NextVersion(audit, Create.NewId(), 0, "POST", created: true);
        var pending = new Pending(write, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("The audit log is closed: the server is stopping");
        return pending.Stored.Task;
    }

    private async Task DrainAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next)) batch.Add(next);
            try
            {
                await _store.CommitAsync(batch.ConvertAll(p => p.Write), CancellationToken.None);
                foreach (var p in batch) p.Stored.TrySetResult();
            }
            catch (Exception e) when (batch.Count > 1)
            {
                // A store may refuse one commit across partitions (Cosmos DB: each member's record is its own): store them one by one.
                _logger.LogDebug(e, "Storing {Count} AuditEvents together failed; storing them one at a time", batch.Count);
                await Task.WhenAll(batch.Select(StoreAloneAsync));
            }
            catch (Exception e)
            {
                _logger.LogError(e, "An AuditEvent could not be stored; its request fails");
                batch[0].Stored.TrySetException(e);
            }
        }
    }

    private async Task StoreAloneAsync(Pending p)
    {
        try
        {
            await _store.CommitAsync([p.Write], CancellationToken.None);
            p.Stored.TrySetResult();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "An AuditEvent could not be stored; its request fails");
            p.Stored.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
