using System.Diagnostics;
using System.Net;

namespace FhirCare.Bench;

sealed record ScenarioResult(
    string Name,
    int Clients,
    TimeSpan Duration,
    long Succeeded,
    long Failed,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    long? PeakRssBytes,
    string? FirstError,
    long Empty = 0,
    string? FirstEmpty = null)
{
    public long Requests => Succeeded + Failed;
    public double RequestsPerSecond => Succeeded / Duration.TotalSeconds;
}

/// <summary>
/// Closed-loop load: each client sends its next request as soon as the previous response is fully read.
/// Requests completing during warm-up are discarded; throughput and latency cover successful requests
/// completing inside the measured window.
/// </summary>
sealed class LoadRunner(HttpClient http, int clients, MemorySampler? memory)
{
    public static HttpClient CreateClient(int clients) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = HttpVersion.Version11,
        };

    public async Task<ScenarioResult> RunAsync(Scenario scenario, TimeSpan warmup, TimeSpan duration)
    {
        var histogram = new LatencyHistogram();
        var contexts = new ClientContext[clients];
        var firstError = new FirstError("first error");
        var firstEmpty = new FirstError("first empty answer");
        var start = Stopwatch.GetTimestamp();
        var measureStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureEnd = measureStart + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        var tasks = new Task[clients];
        for (var i = 0; i < clients; i++)
        {
            var context = contexts[i] = new ClientContext(i);
            tasks[i] = Task.Run(() => ClientLoopAsync(scenario, context, histogram, firstError, firstEmpty, measureStart, measureEnd));
        }

        var remainingWarmup = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureStart);
        if (remainingWarmup > TimeSpan.Zero)
            await Task.Delay(remainingWarmup);
        memory?.ResetPeak();
        await Task.WhenAll(tasks);

        long succeeded = 0, failed = 0, empty = 0, maxMicros = 0;
        foreach (var context in contexts)
        {
            succeeded += context.Succeeded;
            failed += context.Failed;
            empty += context.Empty;
            maxMicros = Math.Max(maxMicros, context.MaxMicros);
        }
        return new ScenarioResult(scenario.Name, clients, duration, succeeded, failed,
            histogram.PercentileMs(0.50), histogram.PercentileMs(0.95), histogram.PercentileMs(0.99),
            succeeded == 0 ? double.NaN : maxMicros / 1000.0, memory?.Peak, firstError.Message, empty, firstEmpty.Message);
    }

    async Task ClientLoopAsync(Scenario scenario, ClientContext context, LatencyHistogram histogram,
        FirstError firstError, FirstError firstEmpty, long measureStart, long measureEnd)
    {
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= measureEnd)
                return;
            string? error = null;
            Uri? empty = null;
            try
            {
                using var request = scenario.CreateRequest(context);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var status = (int)response.StatusCode;
                if (scenario.IsExpected(status) && scenario.InspectsBody)
                {
                    context.Body.SetLength(0);
                    await response.Content.CopyToAsync(context.Body);
                    if (!scenario.HasResults(context, context.Body.GetBuffer().AsSpan(0, (int)context.Body.Length)))
                        empty = request.RequestUri;
                }
                else if (scenario.IsExpected(status))
                {
                    await using var body = await response.Content.ReadAsStreamAsync();
                    while (await body.ReadAsync(context.DrainBuffer) > 0)
                    {
                    }
                }
                else
                {
                    error = $"{scenario.Name}: HTTP {status}: {SeededPatients.Truncate(await response.Content.ReadAsStringAsync())}";
                }
            }
            catch (Exception ex)
            {
                error = $"{scenario.Name}: {ex.GetType().Name}: {ex.Message}";
            }

            var t1 = Stopwatch.GetTimestamp();
            if (t1 < measureStart || t1 > measureEnd)
                continue;
            if (error is not null)
            {
                context.Failed++;
                firstError.Report(error);
                continue;
            }
            if (empty is not null)
            {
                context.Empty++;
                firstEmpty.Report($"{scenario.Name}: GET {empty.PathAndQuery}");
            }
            var micros = Stopwatch.GetElapsedTime(t0, t1).Ticks / 10;
            histogram.Record(micros);
            context.Succeeded++;
            if (micros > context.MaxMicros)
                context.MaxMicros = micros;
        }
    }

    sealed class FirstError(string label)
    {
        string? _message;
        public string? Message => _message;

        public void Report(string message)
        {
            if (Interlocked.CompareExchange(ref _message, message, null) is null)
                Console.WriteLine($"  {label} -> {message}");
        }
    }
}

/// <summary>1 µs buckets below 100 ms, 1 ms buckets up to 60 s; shared by all clients via Interlocked.</summary>
sealed class LatencyHistogram
{
    const long FineLimitMicros = 100_000;
    const long CoarseLimitMicros = 60_000_000;
    readonly long[] _counts = new long[FineLimitMicros + (CoarseLimitMicros - FineLimitMicros) / 1000 + 1];

    public void Record(long micros) => Interlocked.Increment(ref _counts[BucketOf(micros)]);

    public double PercentileMs(double quantile)
    {
        long total = 0;
        foreach (var count in _counts)
            total += count;
        if (total == 0)
            return double.NaN;
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var bucket = 0; bucket < _counts.Length; bucket++)
        {
            seen += _counts[bucket];
            if (seen >= rank)
                return MicrosOf(bucket) / 1000.0;
        }
        return CoarseLimitMicros / 1000.0;
    }

    static long BucketOf(long micros)
    {
        if (micros < FineLimitMicros)
            return Math.Max(micros, 0);
        return Math.Min(FineLimitMicros + (micros - FineLimitMicros) / 1000, (CoarseLimitMicros - FineLimitMicros) / 1000 + FineLimitMicros);
    }

    static long MicrosOf(long bucket) =>
        bucket < FineLimitMicros ? bucket : FineLimitMicros + (bucket - FineLimitMicros) * 1000;
}
