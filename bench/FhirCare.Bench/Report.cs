using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace FhirCare.Bench;

static class Report
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void PrintScenario(ScenarioResult r, double? healthRps)
    {
        var empty = r.Empty > 0 ? string.Create(Invariant, $" {r.Empty,6:N0} empty") : "";
        Console.WriteLine(string.Create(Invariant,
            $"  {r.Name,-7} {r.Requests,9:N0} req {r.Failed,6:N0} err{empty} {r.RequestsPerSecond,10:N0} req/s {Ratio(r, healthRps),6}  " +
            $"p50 {Ms(r.P50Ms),7}  p95 {Ms(r.P95Ms),7}  p99 {Ms(r.P99Ms),7}  max {Ms(r.MaxMs),8} ms  rss {Megabytes(r.PeakRssBytes)} MB"));
    }

    public static string Markdown(Options options, string serverDescription, IReadOnlyList<ScenarioResult> results,
        ScenarioResult? health, long? peakRss, long? highWaterMark)
    {
        var bullets = new List<string> { $"Machine: {MachineInfo()}", $"Server: {serverDescription}", Memory(peakRss, highWaterMark) };
        if (results.Any(r => r.Name is "read" or "update"))
            bullets.Add(string.Create(Invariant, $"Read/update pick uniformly among {options.SeedCount:N0} seeded Patients"));
        return Markdown(Title(options, ""), bullets, results, health, withEmpty: false);
    }

    public static string Title(Options options, string what) => string.Create(Invariant,
        $"### {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC — {what}{options.Clients} clients, {options.Duration.TotalSeconds:0} s measured (+{options.Warmup.TotalSeconds:0} s warm-up)");

    public static string Memory(long? peakRss, long? highWaterMark) => peakRss is null
        ? "Server memory: n/a (external server)"
        : $"Server memory: peak VmRSS {Megabytes(peakRss)} MB, VmHWM at end {Megabytes(highWaterMark)} MB";

    public static string Markdown(string title, IEnumerable<string> bullets, IReadOnlyList<ScenarioResult> results,
        ScenarioResult? health, bool withEmpty)
    {
        var sb = new StringBuilder();
        sb.AppendLine(title).AppendLine();
        foreach (var bullet in bullets)
            sb.AppendLine("- " + bullet);
        sb.AppendLine();
        var (emptyHead, emptyRule) = withEmpty ? (" Empty |", "---:|") : ("", "");
        sb.AppendLine($"| Scenario | Clients | Requests | Errors |{emptyHead} Req/s | × health | p50 ms | p95 ms | p99 ms | max ms | Peak RSS MB |");
        sb.AppendLine($"|---|---:|---:|---:|{emptyRule}---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var empty = withEmpty ? string.Create(Invariant, $" {r.Empty:N0} |") : "";
            sb.AppendLine(string.Create(Invariant,
                $"| {r.Name} | {r.Clients} | {r.Requests:N0} | {r.Failed:N0} |{empty} {r.RequestsPerSecond:N0} | {Ratio(r, health?.RequestsPerSecond)} | " +
                $"{Ms(r.P50Ms)} | {Ms(r.P95Ms)} | {Ms(r.P99Ms)} | {Ms(r.MaxMs)} | {Megabytes(r.PeakRssBytes)} |"));
        }
        if (health is not null && !results.Contains(health))
            sb.AppendLine().AppendLine(string.Create(Invariant,
                $"× health is relative to a short health run in the same session: {health.RequestsPerSecond:N0} req/s " +
                $"(p99 {health.P99Ms:0.00} ms, {health.Duration.TotalSeconds:0} s)."));
        return sb.ToString();
    }

    static string Ratio(ScenarioResult r, double? healthRps) =>
        healthRps is > 0 ? (r.RequestsPerSecond / healthRps.Value).ToString("0.00", Invariant) + "×" : "n/a";

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.00", Invariant);

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public static string Megabytes(long? bytes) =>
        bytes is > 0 ? (bytes.Value / (1024.0 * 1024.0)).ToString("0", Invariant) : "n/a";

    public static string MachineInfo()
    {
        var cpu = FirstProcValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = FirstProcValue("/proc/meminfo", "MemTotal");
        var memory = memKb is not null && long.TryParse(memKb.Split(' ')[0], out var kb)
            ? (kb / (1024.0 * 1024.0)).ToString("0.0", Invariant) + " GiB RAM"
            : "unknown RAM";
        return $"{Environment.ProcessorCount} × {cpu}, {memory}, {RuntimeInformation.OSDescription}, " +
               $".NET {Environment.Version} ({RuntimeInformation.OSArchitecture})";
    }

    static string? FirstProcValue(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line.AsSpan(0, colon).Trim().SequenceEqual(key))
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
