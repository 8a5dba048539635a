using FhirCare.Conformance.Execution;
using FhirCare.Conformance.Generation;

namespace FhirCare.Conformance;

// The conformance kit's command line (see conformance/README.md):
//   run      --base URL [--scripts PATH]... [--out DIR] [--var name=value]... [--filter TEXT] [--all] [--parallel N]
//   generate --base URL [--examples DIR]... [--out DIR]
// Exit codes: 0 every TestScript that ran passed; 1 a TestScript failed; 2 bad usage or no FHIR server at --base.

/// <summary>The command line (a named class, not top-level statements, so tests can reference both this and the server).</summary>
public static class Cli
{
    public static async Task<int> Main(string[] args)
    {
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
    }

    private static async Task<int> RunAsync(CommandLine options)
    {
        if (options.Single("base") is not { } baseUrl) return Usage("--base is required");
        var kit = KitFolder.Find();
        var defaults = KitOptions.ForKit(kit, new Uri(baseUrl));
        var reportFolder = options.Single("out") ?? Path.Combine(kit, "reports");
        var variables = new Dictionary<string, string>(defaults.Variables);
        foreach (var v in options.Many("var").Select(v => v.Split('=', 2))) variables[v[0]] = v.Length > 1 ? v[1] : "";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var results = await Kit.RunAsync(http, defaults with
        {
            Scripts = options.Many("scripts") is { Count: > 0 } given ? given : defaults.Scripts,
            ReportFolder = reportFolder,
            Variables = variables,
            EvenIfUnclaimed = options.Has("all"),
            Filter = options.Single("filter"),
            NotRun = options.Has("all") ? new Dictionary<string, string>() : defaults.NotRun,
            Parallel = int.TryParse(options.Single("parallel"), out var n) ? n : 4,
        }, Console.Out);
        var ran = results.Count(r => r.Ran);
        var failed = results.Count(r => r.Ran && !r.Passed);
        Console.WriteLine($"{results.Count} TestScripts: {ran - failed} passed, {failed} failed, {results.Count - ran} not run. Reports: {Path.Combine(reportFolder, "report.md")}");
        return Kit.ExitCode(results);
    }

    private static async Task<int> GenerateAsync(CommandLine options)
    {
        if (options.Single("base") is not { } baseUrl) return Usage("--base is required (the generator reads the server's CapabilityStatement)");
        var kit = KitFolder.Find();
        var examples = options.Many("examples") is { Count: > 0 } given ? given
            : [Path.Combine(kit, "..", "tests", "FhirFacade.Tests", "Fixtures", "spec-examples"), Path.Combine(kit, "..", "profiles", "examples")];
        var output = options.Single("out") ?? Path.Combine(kit, "scripts", "generated");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var server = new FhirHttp(http, new Uri(baseUrl));
        var statement = await Kit.CapabilitiesAsync(server, CancellationToken.None);
        var served = await Kit.SearchParametersAsync(server, CancellationToken.None);
        var knownFailures = File.Exists(Path.Combine(kit, "known-failures.txt"))
            ? File.ReadLines(Path.Combine(kit, "known-failures.txt")).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToHashSet()
            : [];
        var validation = new FixtureValidation(server, new ServerClaims(statement));
        var summary = ScriptGenerator.Generate(statement, served, examples, output, knownFailures, validation.Problems);
        Console.WriteLine(summary);
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"""
            {problem}
            usage: FhirCare.Conformance run --base URL [--scripts PATH]... [--out DIR] [--var name=value]... [--filter TEXT] [--all] [--parallel N]
                   FhirCare.Conformance generate --base URL [--examples DIR]... [--out DIR]
            """);
        return 2;
    }
}
