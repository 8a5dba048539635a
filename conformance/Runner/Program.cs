using FhirCare.Conformance;
using FhirCare.Conformance.Execution;
using FhirCare.Conformance.Generation;

// The conformance kit's command line (see conformance/README.md):
//   run      --base URL [--scripts PATH]... [--out DIR] [--var name=value]... [--filter TEXT] [--all] [--parallel N]
//   generate --base URL [--examples DIR] [--out DIR]
// Exit codes: 0 every TestScript that ran passed; 1 a TestScript failed; 2 bad usage or no FHIR server at --base.

var (command, options) = CommandLine.Parse(args);
try
{
    return command switch
    {
        "run" => await RunAsync(options),
        "generate" => await GenerateAsync(options),
        _ => Usage($"unknown command '{command}'"),
    };
}
catch (Exception e) when (e is HttpRequestException or InvalidOperationException or UriFormatException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static async Task<int> RunAsync(CommandLine options)
{
    if (options.Single("base") is not { } baseUrl) return Usage("--base is required");
    var kit = KitFolder.Find();
    var scripts = options.Many("scripts") is { Count: > 0 } given ? given : [Path.Combine(kit, "scripts"), Path.Combine(kit, "third-party")];
    var reportFolder = options.Single("out") ?? Path.Combine(kit, "reports");
    var variables = options.Many("var").Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v.Length > 1 ? v[1] : "");
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    var results = await Kit.RunAsync(http, new KitOptions(new Uri(baseUrl), scripts)
    {
        ReportFolder = reportFolder,
        Variables = variables,
        EvenIfUnclaimed = options.Has("all"),
        Filter = options.Single("filter"),
        NotRun = options.Has("all") || !File.Exists(Path.Combine(kit, "not-run.txt")) ? new Dictionary<string, string>() : KitOptions.ReadNotRun(Path.Combine(kit, "not-run.txt")),
        Parallel = int.TryParse(options.Single("parallel"), out var n) ? n : 4,
    }, Console.Out);
    var ran = results.Count(r => r.Ran);
    var failed = results.Count(r => r.Ran && !r.Passed);
    Console.WriteLine($"{results.Count} TestScripts: {ran - failed} passed, {failed} failed, {results.Count - ran} not run. Reports: {Path.Combine(reportFolder, "report.md")}");
    return failed == 0 ? 0 : 1;
}

static async Task<int> GenerateAsync(CommandLine options)
{
    if (options.Single("base") is not { } baseUrl) return Usage("--base is required (the generator reads the server's CapabilityStatement)");
    var kit = KitFolder.Find();
    var examples = options.Single("examples") ?? Path.Combine(kit, "..", "tests", "FhirFacade.Tests", "Fixtures", "spec-examples");
    var output = options.Single("out") ?? Path.Combine(kit, "scripts", "generated");
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    var server = new FhirHttp(http, new Uri(baseUrl));
    var statement = await Kit.CapabilitiesAsync(server, CancellationToken.None);
    var served = await Kit.SearchParametersAsync(server, CancellationToken.None);
    var knownFailures = File.Exists(Path.Combine(kit, "known-failures.txt"))
        ? File.ReadLines(Path.Combine(kit, "known-failures.txt")).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToHashSet()
        : [];
    var summary = ScriptGenerator.Generate(statement, served, examples, output, knownFailures);
    Console.WriteLine(summary);
    return 0;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"""
        {problem}
        usage: FhirCare.Conformance run --base URL [--scripts PATH]... [--out DIR] [--var name=value]... [--filter TEXT] [--all] [--parallel N]
               FhirCare.Conformance generate --base URL [--examples DIR] [--out DIR]
        """);
    return 2;
}
