using FhirCare.Conformance.Reports;
using FhirCare.Conformance.Scripts;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.Conformance.Execution;

/// <summary>What to run and where: the server's base URL, TestScript files or folders, where reports go.</summary>
public sealed record KitOptions(Uri BaseUrl, IReadOnlyList<string> Scripts)
{
    public string? ReportFolder { get; init; }
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    /// <summary>Run scripts even when the server does not claim what they need (their unclaimed steps then fail or error).</summary>
    public bool EvenIfUnclaimed { get; init; }
    /// <summary>Only scripts whose file path contains this text.</summary>
    public string? Filter { get; init; }
    /// <summary>How many scripts run at once; scripts that write resources under fixed ids always run one at a time.</summary>
    public int Parallel { get; init; } = 4;
    /// <summary>Scripts kept but not run, by full path, with the reason (conformance/not-run.txt).</summary>
    public IReadOnlyDictionary<string, string> NotRun { get; init; } = new Dictionary<string, string>();

    /// <summary>The whole kit in conformance/: scripts/ and third-party/, with not-run.txt and variables.txt.</summary>
    public static KitOptions ForKit(string kitFolder, Uri baseUrl) => new(baseUrl, [Path.Combine(kitFolder, "scripts"), Path.Combine(kitFolder, "third-party")])
    {
        NotRun = File.Exists(Path.Combine(kitFolder, "not-run.txt")) ? ReadNotRun(Path.Combine(kitFolder, "not-run.txt")) : new Dictionary<string, string>(),
        Variables = File.Exists(Path.Combine(kitFolder, "variables.txt")) ? ReadVariables(Path.Combine(kitFolder, "variables.txt")) : new Dictionary<string, string>(),
    };

    private static Dictionary<string, string> ReadVariables(string file) =>
        File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1].Trim() : "");

    /// <summary>Reads a not-run list: "path  # reason" lines, paths relative to the list's folder.</summary>
    public static IReadOnlyDictionary<string, string> ReadNotRun(string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        return File.ReadLines(file)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('#', 2))
            .ToDictionary(p => Path.GetFullPath(Path.Combine(folder, p[0].Trim())), p => p.Length > 1 ? p[1].Trim() : "listed in not-run.txt");
    }
}

/// <summary>Runs a set of TestScripts against one server and writes a TestReport per script plus report.md.</summary>
public static class Kit
{
    public static async Task<IReadOnlyList<ScriptResult>> RunAsync(HttpClient client, KitOptions options, TextWriter? progress = null, CancellationToken cancel = default)
    {
        var started = DateTime.UtcNow;
        var http = new FhirHttp(client, options.BaseUrl);
        var claims = new ServerClaims(await CapabilitiesAsync(http, cancel));
        var scripts = LoadedScript.LoadAll(options.Scripts)
            .Where(s => options.Filter is null || s.Path.Contains(options.Filter, StringComparison.OrdinalIgnoreCase)).ToList();
        var runner = new ScriptRunner(http, claims, options.Variables);
        var results = new ScriptResult[scripts.Count];

        async System.Threading.Tasks.Task RunOne(int i)
        {
            results[i] = options.NotRun.TryGetValue(Path.GetFullPath(scripts[i].Path), out var reason)
                ? new ScriptResult(scripts[i], null, [], [reason])
                : await runner.RunAsync(scripts[i], options.EvenIfUnclaimed, cancel);
            progress?.WriteLine($"{(results[i].Ran ? results[i].Passed ? "pass   " : "FAIL   " : "not run")} {scripts[i].Name}");
        }
        var (shared, alone) = Enumerable.Range(0, scripts.Count).ToLookup(i => WritesFixedIds(scripts[i].Script)) is var byKind
            ? (byKind[false].ToList(), byKind[true].ToList())
            : default;
        await Parallel.ForEachAsync(shared, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallel), CancellationToken = cancel }, async (i, _) => await RunOne(i));
        foreach (var i in alone) await RunOne(i);

        if (options.ReportFolder is { } folder)
        {
            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.EnumerateFiles(folder, "TestReport-*.json")) File.Delete(stale);
            foreach (var r in results.Where(r => r.Report is not null))
                await File.WriteAllTextAsync(Path.Combine(folder, $"TestReport-{r.Report!.Id}.json"), FhirWire.Pretty(r.Report), cancel);
            await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), MarkdownReport.Write(http.BaseUrl, results, DateTime.UtcNow - started), cancel);
        }
        return results;
    }

    /// <summary>The command's exit code: 1 when a TestScript that ran did not pass.</summary>
    public static int ExitCode(IEnumerable<ScriptResult> results) => results.Any(r => r.Ran && !r.Passed) ? 1 : 0;

    public static async Task<CapabilityStatement> CapabilitiesAsync(FhirHttp http, CancellationToken cancel)
    {
        var exchange = await http.SendAsync(new OperationRequest("GET", "metadata", FhirWire.Json, null, null, []), cancel);
        return exchange.ResponseResource as CapabilityStatement
            ?? throw new InvalidOperationException($"GET {exchange.Url} answered {exchange.Status} without a CapabilityStatement: is this a FHIR server?");
    }

    /// <summary>The SearchParameter resources the server serves (its own parameters beyond R4's), if it serves any.</summary>
    public static async Task<IReadOnlyList<SearchParameter>> SearchParametersAsync(FhirHttp http, CancellationToken cancel)
    {
        var exchange = await http.SendAsync(new OperationRequest("GET", "SearchParameter?_count=1000", FhirWire.Json, null, null, []), cancel);
        return exchange.ResponseResource is Bundle bundle ? bundle.Entry.Select(e => e.Resource).OfType<SearchParameter>().ToList() : [];
    }

    /// <summary>Scripts that update or delete by an id they chose themselves would trip over each other if run together.</summary>
    private static bool WritesFixedIds(TestScript script) =>
        ServerClaims.Operations(script).Any(o => o.Type?.Code is "update" or "updateCreate" or "delete" or "patch" && o.Params is { Length: > 0 });
}
