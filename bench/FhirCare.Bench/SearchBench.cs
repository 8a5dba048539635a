using System.Globalization;
using System.Text;

namespace FhirCare.Bench;

sealed record BenchTarget(Uri BaseUri, string ServerDescription, ServerProcess? Server, MemorySampler? Memory);

/// <summary>The load, search and index-cost scenarios (docs/benchmarks.md, "Search").</summary>
static class SearchBench
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(Options options, BenchTarget target) => options.Scenario switch
    {
        "load" => await LoadAsync(options, target, alreadyLoadedIsError: true) is null ? 2 : 0,
        "search" => await SearchAsync(options, target),
        "care-gaps" => await CareGapsBench.RunAsync(options, target, await LoadAsync(options, target, alreadyLoadedIsError: false)),
        _ => await IndexCostAsync(options, target),
    };

    /// <summary>Loads the data set unless the data directory (or --loaded) says the store already holds one.</summary>
    static async Task<(SyntheticData Data, string Note)?> LoadAsync(Options options, BenchTarget target, bool alreadyLoadedIsError)
    {
        if (options.DataDir is not null && DataManifest.Read(options.DataDir) is { } manifest)
        {
            var note = string.Create(Invariant,
                $"{manifest.Resources:N0} resources ({manifest.Members:N0} members, seed {manifest.Seed}) loaded {manifest.LoadedUtc} in {manifest.LoadSeconds:0} s, reused");
            if (!alreadyLoadedIsError)
                return (new SyntheticData(manifest.Resources, manifest.Members, manifest.Seed), note);
            Console.Error.WriteLine($"{options.DataDir} already holds a data set ({note}); run --scenario search, or delete the directory to load again.");
            return null;
        }
        var data = new SyntheticData(options.Resources, options.Members, options.Seed);
        var described = string.Create(Invariant, $"{data.Resources:N0} resources ({data.Members:N0} members, seed {data.Seed})");
        if (options.Loaded)
            return (data, described + ", loaded before this run (--loaded)");
        if (target.Server is not null && File.Exists(target.Server.DatabasePath) && new FileInfo(target.Server.DatabasePath).Length > 1 << 20)
        {
            Console.Error.WriteLine($"{target.Server.DatabasePath} holds data but no bench.json (an interrupted load?); delete it and load again.");
            return null;
        }

        Console.WriteLine($"Loading {described} with {options.LoadClients} clients ...");
        var loadBefore = Report.LoadAverage();
        using var http = LoadRunner.CreateClient(options.LoadClients);
        Func<string>? wal = target.Server is { } server ? () => $"WAL {server.WalBytes / (1024 * 1024):N0} MB" : null;
        var result = await DataLoader.LoadAsync(http, target.BaseUri, data, options.LoadClients, wal);
        var loadedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant);
        if (options.DataDir is not null)
            new DataManifest(data.Resources, data.Members, data.Seed, loadedUtc, result.Elapsed.TotalSeconds).Write(options.DataDir);

        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Invariant, $"### {loadedUtc} — load of {data.Resources:N0} resources, {options.LoadClients} clients")).AppendLine();
        sb.AppendLine($"- Machine: {Report.MachineInfo()}");
        sb.AppendLine($"- Server: {target.ServerDescription}");
        sb.AppendLine(string.Create(Invariant, $"- Data: {data.Members:N0} members with {(data.Resources - SyntheticData.Vendors) / (double)data.Members:0.0} resources each on average (Patient included), {SyntheticData.Vendors} vendor Organizations, seed {data.Seed}; `PUT [type]/[id]`, `Prefer: return=minimal`"));
        sb.AppendLine(string.Create(Invariant,
            $"- Took {result.Elapsed:hh\\:mm\\:ss}, including {result.Paused.TotalSeconds:0} s of pauses for the WAL checkpoint: **{result.ResourcesPerSecond:N0} resources/s** on average; database {DatabaseSize(target)}"));
        sb.AppendLine($"- Load average (1/5/15 min) before: {loadBefore}; after: {Report.LoadAverage()}");
        sb.AppendLine($"- {Report.Memory(target.Memory?.PeakOverall, target.Memory?.HighWaterMark())}").AppendLine();
        sb.AppendLine("| Type | Resources |").AppendLine("|---|---:|");
        foreach (var (type, count) in result.ByType.OrderByDescending(t => t.Value))
            sb.AppendLine(string.Create(Invariant, $"| {type} | {count:N0} |"));
        Console.WriteLine();
        Console.WriteLine(sb);
        return (data, string.Create(Invariant, $"{described}, loaded in this run at {result.ResourcesPerSecond:N0}/s"));
    }

    static async Task<int> SearchAsync(Options options, BenchTarget target)
    {
        if (await LoadAsync(options, target, alreadyLoadedIsError: false) is not { } loaded)
            return 2;
        var (data, dataNote) = loaded;
        var loadBefore = Report.LoadAverage();
        using var http = LoadRunner.CreateClient(options.Clients);
        var runner = new LoadRunner(http, options.Clients, target.Memory);
        Console.WriteLine($"Reference: short health run, {options.Clients} clients");
        var health = await runner.RunAsync(new HealthScenario(target.BaseUri), Min(options.Warmup, 2), Min(options.Duration, 5));
        Report.PrintScenario(health, health.RequestsPerSecond);

        var results = new List<ScenarioResult>();
        var examples = new List<string>();
        foreach (var name in options.Searches)
        {
            var queries = SearchQueries.For(name, data);
            examples.Add($"{name}: `GET /{queries[0]}`");
            Console.WriteLine($"Running {name} ({queries.Length:N0} queries, e.g. {queries[0]}) ...");
            var result = await runner.RunAsync(new SearchScenario(name, target.BaseUri, queries), options.Warmup, options.Duration);
            results.Add(result);
            Report.PrintScenario(result, health.RequestsPerSecond);
            if (target.Server?.HasExited == true)
            {
                Console.Error.WriteLine($"Server exited during the run ({target.Server.ExitDescription}). Output:\n{target.Server.OutputTail()}");
                return 1;
            }
        }

        var bullets = new List<string>
        {
            $"Machine: {Report.MachineInfo()}",
            $"Server: {target.ServerDescription}",
            $"Data: {dataNote}; database {DatabaseSize(target)}",
            $"Load average (1/5/15 min) before: {loadBefore}; after: {Report.LoadAverage()}",
            Report.Memory(target.Memory?.PeakOverall, target.Memory?.HighWaterMark()),
            $"Queries ({SearchQueries.PerScenario:N0} per scenario, seed {data.Seed}); the first of each: " + string.Join("; ", examples),
        };
        var sb = new StringBuilder(Report.Markdown(Report.Title(options, "search, "), bullets, results, health, withEmpty: true));
        sb.AppendLine().AppendLine("Against the targets (stated for 1,000,000 stored resources):").AppendLine();
        foreach (var r in results)
            sb.AppendLine("- " + Verdict(r));
        Console.WriteLine();
        Console.WriteLine(sb);
        foreach (var r in results)
        {
            if (r.FirstError is not null) Console.WriteLine($"First error in {r.Name}: {r.FirstError}");
            if (r.FirstEmpty is not null) Console.WriteLine($"First empty answer in {r.Name}: {r.FirstEmpty}");
        }
        return results.Exists(r => r.Failed > 0) ? 1 : 0;
    }

    static string Verdict(ScenarioResult r)
    {
        var p95 = Report.Ms(r.P95Ms);
        if (Array.IndexOf(SearchQueries.Simple, r.Name) >= 0)
        {
            var met = r.RequestsPerSecond >= 2000 && r.P95Ms < 20;
            return string.Create(Invariant,
                $"{r.Name}: {r.RequestsPerSecond:N0} req/s, p95 {p95} ms; simple search target ≥ 2,000 req/s and p95 < 20 ms: {(met ? "met" : "**not met**")}");
        }
        return $"{r.Name}: p95 {p95} ms; target p95 < 100 ms: {(r.P95Ms < 100 ? "met" : "**not met**")}";
    }

    /// <summary>
    /// What indexing costs a create: the same Patient creates against two servers, one indexing as always and one
    /// started with Search:IndexOnWrite=false (no extraction, no index rows), alternated twice. The cost is the server
    /// process's CPU time per create (user + system, every thread, from /proc), which other load on the machine
    /// disturbs far less than throughput does; throughput is reported too.
    /// </summary>
    static async Task<int> IndexCostAsync(Options options, BenchTarget target)
    {
        if (target.Server is null)
        {
            Console.Error.WriteLine("index-cost starts its own servers: run it without --url");
            return 2;
        }
        var dll = options.ServerDll ?? Path.Combine(Options.FindRepoRoot(), "src", "FhirFacade", "bin", "Release", "net10.0", "FhirCare.FhirFacade.dll");
        using var unindexed = await ServerProcess.StartAsync(Path.GetFullPath(dll), TimeSpan.FromSeconds(60), null, ["--Search:IndexOnWrite=false", .. options.ServerArgs]);
        var patientBytes = new PatientFactory().Write(1L << 50).Length;
        using var http = LoadRunner.CreateClient(options.Clients);
        var results = new List<(string Name, ScenarioResult Result, double CpuMicroseconds)>();
        var loadBefore = Report.LoadAverage();
        for (var round = 0; round < 2; round++)
        {
            foreach (var (name, server) in new[] { ("create (indexed)", target.Server), ("create (IndexOnWrite=false)", unindexed) })
            {
                Console.WriteLine($"Running {name} ...");
                var runner = new LoadRunner(http, options.Clients, null);
                var cpuBefore = server.CpuTime;
                var result = await runner.RunAsync(new CreateScenario(server.BaseUri), options.Warmup, options.Duration);
                var cpu = server.CpuTime - cpuBefore;
                // The warm-up's requests ran too: spread the CPU over every request the run made.
                var requests = result.Succeeded * (options.Warmup + options.Duration).TotalSeconds / options.Duration.TotalSeconds;
                results.Add((name, result with { Name = name }, cpu.TotalMicroseconds / requests));
                Report.PrintScenario(result with { Name = name }, null);
            }
        }
        double Cpu(string name) => results.Where(r => r.Name == name).Average(r => r.CpuMicroseconds);
        double Rate(string name) => results.Where(r => r.Name == name).Average(r => r.Result.RequestsPerSecond);
        var (on, off) = (Cpu("create (indexed)"), Cpu("create (IndexOnWrite=false)"));
        var bullets = new List<string>
        {
            $"Machine: {Report.MachineInfo()}",
            $"Server: {target.ServerDescription}; the second server identical but for `--Search:IndexOnWrite=false`",
            $"Load average (1/5/15 min) before: {loadBefore}; after: {Report.LoadAverage()}",
            string.Create(Invariant, $"create: `POST /Patient`, {patientBytes:N0} bytes, the same bodies on both servers"),
        };
        var sb = new StringBuilder(Report.Markdown(Report.Title(options, "index cost, "), bullets, results.Select(r => r.Result).ToList(), null, withEmpty: false));
        sb.AppendLine();
        sb.AppendLine("| server | CPU µs per create (each run) | mean | creates/s (mean) |");
        sb.AppendLine("|---|---|---:|---:|");
        foreach (var name in results.Select(r => r.Name).Distinct())
            sb.AppendLine(string.Create(Invariant, $"| {name} | {string.Join(", ", results.Where(r => r.Name == name).Select(r => r.CpuMicroseconds.ToString("N0", Invariant)))} | {Cpu(name):N0} | {Rate(name):N0} |"));
        sb.AppendLine().AppendLine(string.Create(Invariant,
            $"Indexing (extraction plus index rows) adds {(on / off - 1) * 100:0}% to the server CPU of a create " +
            $"(target ≤ 30%: {(on / off <= 1.3 ? "met" : "**not met**")}); throughput {Rate("create (indexed)") / Rate("create (IndexOnWrite=false)") * 100 - 100:+0;-0}%."));
        Console.WriteLine();
        Console.WriteLine(sb);
        return results.Exists(r => r.Result.Failed > 0) ? 1 : 0;
    }

    static string DatabaseSize(BenchTarget target)
    {
        if (target.Server is null)
            return "size n/a (external server)";
        var database = new FileInfo(target.Server.DatabasePath);
        return string.Create(Invariant,
            $"{(database.Exists ? database.Length : 0) / (1024.0 * 1024.0):N0} MB, WAL file {target.Server.WalBytes / (1024.0 * 1024.0):N0} MB");
    }

    static TimeSpan Min(TimeSpan a, double seconds) => a < TimeSpan.FromSeconds(seconds) ? a : TimeSpan.FromSeconds(seconds);
}
