using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace FhirCare.Bench;

sealed record LoadResult(long Resources, TimeSpan Elapsed, TimeSpan Paused, IReadOnlyDictionary<string, long> ByType)
{
    public double ResourcesPerSecond => Resources / Elapsed.TotalSeconds;
}

/// <summary>What a data directory holds: written after a load completes, read by later search runs.</summary>
sealed record DataManifest(long Resources, int Members, int Seed, string LoadedUtc, double LoadSeconds)
{
    const string FileName = "bench.json";

    public static DataManifest? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<DataManifest>(File.ReadAllText(path)) : null;
    }

    public void Write(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
}

/// <summary>
/// Fills the store over HTTP: the vendor Organizations, then the members, each written in slot order by one of
/// <c>clients</c> workers with <c>PUT [type]/[id]</c> (client ids, so references are known without reading responses).
/// Stops at the first answer other than 200/201.
/// Every 30 s the workers pause for a few seconds: the server checkpoints its WAL with PASSIVE checkpoints only,
/// which cannot finish while commits keep arriving, so without pauses the WAL grows by tens of KB per resource.
/// </summary>
static class DataLoader
{
    static readonly TimeSpan PauseEvery = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Pause = TimeSpan.FromSeconds(3);

    public static async Task<LoadResult> LoadAsync(HttpClient http, Uri baseUri, SyntheticData data, int clients, Func<string>? status = null)
    {
        var start = Stopwatch.GetTimestamp();
        var byType = new long[Enum.GetValues<Kind>().Length];
        var writer = new ResourceWriter(data);
        for (var vendor = 1; vendor <= SyntheticData.Vendors; vendor++)
            await PutAsync(http, baseUri, "Organization", ResourceWriter.OrganizationId(vendor), writer.Organization(vendor), CancellationToken.None);
        byType[(int)Kind.Organization] = SyntheticData.Vendors;

        long done = SyntheticData.Vendors;
        var nextMember = -1;
        using var failed = new CancellationTokenSource();
        Exception? failure = null;
        var gate = new Gate();
        var workers = Enumerable.Range(0, Math.Min(clients, data.Members)).Select(_ => Task.Run(async () =>
        {
            var resources = new ResourceWriter(data);
            int m;
            try
            {
                while ((m = Interlocked.Increment(ref nextMember)) < data.Members && !failed.IsCancellationRequested)
                {
                    var member = data.MemberAt(m);
                    for (var slot = 0; slot < data.CountOf(m); slot++)
                    {
                        var (type, id, body) = resources.Resource(member, slot);
                        await gate.Open;
                        await PutAsync(http, baseUri, type, id, body, failed.Token);
                        Interlocked.Increment(ref byType[(int)SyntheticData.KindOf(slot)]);
                        Interlocked.Increment(ref done);
                    }
                }
            }
            catch (Exception ex) when (!failed.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
                failed.Cancel();
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        var all = Task.WhenAll(workers);
        var lastDone = 0L;
        var lastTime = start;
        var lastPause = start;
        var paused = TimeSpan.Zero;
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10))) != all)
        {
            var (now, count) = (Stopwatch.GetTimestamp(), Interlocked.Read(ref done));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {count,12:N0} / {data.Resources:N0} ({100.0 * count / data.Resources,5:0.0}%)  " +
                $"{(count - lastDone) / Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds,7:N0}/s now  " +
                $"{count / Stopwatch.GetElapsedTime(start, now).TotalSeconds,7:N0}/s average  {Stopwatch.GetElapsedTime(start, now):hh\\:mm\\:ss}  {status?.Invoke()}"));
            if (Stopwatch.GetElapsedTime(lastPause) >= PauseEvery)
            {
                gate.Close();
                await Task.WhenAny(all, Task.Delay(Pause));
                gate.Reopen();
                paused += Pause;
                lastPause = Stopwatch.GetTimestamp();
            }
            (lastDone, lastTime) = (Interlocked.Read(ref done), Stopwatch.GetTimestamp());
        }
        await all;
        if (failure is not null)
            throw new InvalidOperationException($"Load stopped after {Interlocked.Read(ref done):N0} resources: {failure.Message}", failure);

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in Enum.GetValues<Kind>())
        {
            var type = SyntheticData.TypeOf(kind);
            counts[type] = counts.GetValueOrDefault(type) + byType[(int)kind];
        }
        return new LoadResult(done, Stopwatch.GetElapsedTime(start), paused, counts);
    }

    sealed class Gate
    {
        volatile TaskCompletionSource? _closed;

        public Task Open => _closed?.Task ?? Task.CompletedTask;

        public void Close() => _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reopen() => Interlocked.Exchange(ref _closed, null)?.SetResult();
    }

    static async Task PutAsync(HttpClient http, Uri baseUri, string type, string id, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(baseUri, $"{type}/{id}"));
        request.Headers.TryAddWithoutValidation("Accept", Scenario.FhirJson);
        request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", Scenario.FhirJson);
        request.Content = content;
        using var response = await http.SendAsync(request, ct);
        var status = (int)response.StatusCode;
        if (status is not (200 or 201))
            throw new InvalidOperationException(
                $"PUT {type}/{id} returned {status}: {SeededPatients.Truncate(await response.Content.ReadAsStringAsync(ct))}");
    }
}
