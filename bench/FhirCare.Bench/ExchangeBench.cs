using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace FhirCare.Bench;

/// <summary>
/// The exchange scenarios (docs/benchmarks.md, "Exchange"): transaction ingest of Synthea Bundles by concurrent
/// clients, Patient/$everything for the members loaded, and a system-level $export with the server's memory sampled.
/// </summary>
static class ExchangeBench
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(Options options, BenchTarget target)
    {
        var report = new StringBuilder();
        report.AppendLine($"- Machine: {Report.MachineInfo()}").AppendLine($"- Server: {target.ServerDescription}");
        int status = 0;
        if (options.Scenario is "ingest")
        {
            if (options.Bundles is null)
            {
                Console.Error.WriteLine("--scenario ingest needs --bundles DIR (a folder of Synthea Bundles: 0-*.json batches, then patient transactions)");
                return 2;
            }
            status = await IngestAsync(options, target, report);
            if (status == 0) status = await EverythingAsync(options, target, report);
        }
        else if (options.Scenario is "everything") status = await EverythingAsync(options, target, report);
        else status = await ExportAsync(options, target, report);
        Console.WriteLine();
        Console.WriteLine(report);
        return status;
    }

    static async Task<int> IngestAsync(Options options, BenchTarget target, StringBuilder report)
    {
        var files = Directory.GetFiles(options.Bundles!, "*.json").Order(StringComparer.Ordinal).ToList();
        var batches = files.Where(f => Path.GetFileName(f).StartsWith("0-", StringComparison.Ordinal)).ToList();
        var patients = files.Except(batches).Select(f => (Text: File.ReadAllText(f), Entries: JsonNode.Parse(File.ReadAllText(f))!["entry"]!.AsArray().Count)).ToList();
        using var http = LoadRunner.CreateClient(options.Clients);
        http.Timeout = TimeSpan.FromMinutes(5); // a Bundle of hundreds of resources on a loaded machine may take long
        foreach (var batch in batches)
        {
            var (ok, body) = await PostAsync(http, target.BaseUri, File.ReadAllText(batch));
            if (!ok)
            {
                Console.Error.WriteLine($"{Path.GetFileName(batch)} failed: {body[..Math.Min(body.Length, 2000)]}");
                return 1;
            }
        }
        Console.WriteLine($"Ingesting ≥ {options.Resources:N0} resources from {patients.Count} patient Bundles (reposted: the server assigns new ids) with {options.Clients} clients ...");
        var loadBefore = Report.LoadAverage();
        target.Memory?.ResetPeak();
        long resources = 0, bundles = 0, failed = 0;
        var next = -1;
        var latencies = new List<double>();
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Read(ref resources) < options.Resources)
            {
                var bundle = patients[Interlocked.Increment(ref next) % patients.Count];
                var start = Stopwatch.GetTimestamp();
                var (ok, body) = await PostAsync(http, target.BaseUri, bundle.Text);
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                lock (latencies) latencies.Add(ms);
                if (!ok)
                {
                    Interlocked.Increment(ref failed);
                    firstError ??= body[..Math.Min(body.Length, 1000)];
                    continue;
                }
                Interlocked.Add(ref resources, bundle.Entries);
                Interlocked.Increment(ref bundles);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        clock.Stop();
        latencies.Sort();
        report.AppendLine(string.Create(Invariant,
            $"- **Transaction ingest**: {resources:N0} resources in {bundles:N0} transaction Bundles ({failed} failed) in {clock.Elapsed.TotalSeconds:0.0} s with {options.Clients} clients: **{resources / clock.Elapsed.TotalSeconds:N0} resources/s**; per Bundle p50 {Percentile(latencies, 0.5):N0} ms, p95 {Percentile(latencies, 0.95):N0} ms, max {latencies[^1]:N0} ms; peak RSS {Mb(target.Memory?.Peak)}; load average before {loadBefore}, after {Report.LoadAverage()}"));
        if (firstError is not null) report.AppendLine($"- First error: {firstError}");
        return failed > 0 ? 1 : 0;
    }

    static async Task<int> EverythingAsync(Options options, BenchTarget target, StringBuilder report)
    {
        using var http = LoadRunner.CreateClient(options.Clients);
        var ids = new List<string>();
        var page = await http.GetStringAsync(new Uri(target.BaseUri, "Patient?_count=200&_elements=id"));
        foreach (var e in JsonNode.Parse(page)!["entry"]?.AsArray() ?? []) ids.Add((string)e!["resource"]!["id"]!);
        if (ids.Count == 0)
        {
            Console.Error.WriteLine("No Patients stored: run --scenario ingest first (or point --url / --data-dir at loaded data)");
            return 2;
        }
        Console.WriteLine($"$everything for {ids.Count} members with {options.Clients} clients for {options.Duration.TotalSeconds:0} s ...");
        var loadBefore = Report.LoadAverage();
        target.Memory?.ResetPeak();
        long requests = 0, failed = 0, bytes = 0, entries = 0;
        var latencies = new List<double>();
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (stop.Elapsed < options.Duration)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(new Uri(target.BaseUri, $"Patient/{ids[random.Next(ids.Count)]}/$everything"));
                var body = await response.Content.ReadAsByteArrayAsync();
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                lock (latencies) latencies.Add(ms);
                Interlocked.Increment(ref requests);
                Interlocked.Add(ref bytes, body.Length);
                if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref failed);
                else Interlocked.Add(ref entries, CountEntries(body));
            }
        })).ToArray();
        await Task.WhenAll(workers);
        latencies.Sort();
        var seconds = stop.Elapsed.TotalSeconds;
        report.AppendLine(string.Create(Invariant,
            $"- **Patient/$everything**: {requests:N0} requests ({failed} failed) in {seconds:0.0} s with {options.Clients} clients: **{requests / seconds:N1} req/s**, {entries / (double)Math.Max(1, requests - failed):N0} entries and {bytes / (double)Math.Max(1, requests) / 1024:N0} KB per member on average; p50 {Percentile(latencies, 0.5):N0} ms, p95 {Percentile(latencies, 0.95):N0} ms, max {latencies[^1]:N0} ms; peak RSS {Mb(target.Memory?.Peak)}; load average before {loadBefore}, after {Report.LoadAverage()}"));
        return failed > 0 ? 1 : 0;
    }

    static async Task<int> ExportAsync(Options options, BenchTarget target, StringBuilder report)
    {
        using var http = LoadRunner.CreateClient(2);
        var loadBefore = Report.LoadAverage();
        var rssBefore = target.Memory?.ResetPeakAndRead();
        var clock = Stopwatch.StartNew();
        using var kickOff = new HttpRequestMessage(HttpMethod.Get, new Uri(target.BaseUri, "$export"));
        kickOff.Headers.Add("Prefer", "respond-async");
        using var accepted = await http.SendAsync(kickOff);
        if (accepted.StatusCode != HttpStatusCode.Accepted || accepted.Content.Headers.ContentLocation is not { } status)
        {
            Console.Error.WriteLine($"Kick-off answered {(int)accepted.StatusCode}: {await accepted.Content.ReadAsStringAsync()}");
            return 1;
        }
        Console.WriteLine($"Export running; polling {status} ...");
        JsonNode manifest;
        while (true)
        {
            await Task.Delay(1000);
            using var poll = await http.GetAsync(status);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                manifest = JsonNode.Parse(await poll.Content.ReadAsStringAsync())!;
                break;
            }
            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                Console.Error.WriteLine($"Status answered {(int)poll.StatusCode}: {await poll.Content.ReadAsStringAsync()}");
                return 1;
            }
            Console.WriteLine(string.Create(Invariant, $"  {clock.Elapsed.TotalSeconds:0} s: {string.Join(",", poll.Headers.GetValues("X-Progress"))}; RSS {Mb(target.Memory?.Current())}"));
        }
        clock.Stop();
        var outputs = manifest["output"]!.AsArray();
        var total = outputs.Sum(o => (long)o!["count"]!);
        var peak = target.Memory?.Peak;
        report.AppendLine(string.Create(Invariant,
            $"- **System $export**: {total:N0} resources into {outputs.Count} NDJSON files in {clock.Elapsed.TotalSeconds:0.0} s (kick-off to manifest, 1 s polling): **{total / clock.Elapsed.TotalSeconds:N0} resources/s**; server RSS {Mb(rssBefore)} before, peak {Mb(peak)} during (growth {Mb(peak - rssBefore)}); load average before {loadBefore}, after {Report.LoadAverage()}"));
        return 0;
    }

    static async Task<(bool Ok, string Body)> PostAsync(HttpClient http, Uri baseUri, string bundle)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUri) { Content = new StringContent(bundle, Encoding.UTF8, "application/fhir+json") };
        request.Headers.Add("Prefer", "return=minimal");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode == HttpStatusCode.OK, body);
    }

    static int CountEntries(byte[] body)
    {
        var marker = "\"fullUrl\""u8;
        int count = 0, at = 0, i;
        while ((i = body.AsSpan(at).IndexOf(marker)) >= 0) { count++; at += i + marker.Length; }
        return count;
    }

    static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];

    static string Mb(long? bytes) => bytes is { } b ? string.Create(Invariant, $"{b / (1024.0 * 1024):N0} MB") : "n/a";
}
