using System.Diagnostics;
using System.Globalization;
using FhirCare.Bench;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

if (options.Scenario == "validate") return ValidationBench.Run(options);

ServerProcess? server = null;
MemorySampler? memory = null;
CosmosEmulatorProcess? cosmos = null;
Console.CancelKeyPress += (_, _) => { server?.Dispose(); cosmos?.Dispose(); };
try
{
    Uri baseUri;
    string serverDescription;
    if (options.Url is not null)
    {
        baseUri = options.Url;
        serverDescription = $"external at {baseUri} (memory not sampled)";
    }
    else
    {
        var dll = Path.GetFullPath(options.ServerDll ?? Path.Combine(
            Options.FindRepoRoot(), "src", "FhirFacade", "bin", "Release", "net10.0", "FhirCare.FhirFacade.dll"));
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"Server dll not found: {dll}");
            Console.Error.WriteLine("Build it first:  dotnet build -c Release src/FhirFacade   (or pass --server-dll PATH / --url URL)");
            return 2;
        }
        Console.WriteLine($"Starting {dll} ...");
        if (options.Cosmos) cosmos = await CosmosEmulatorProcess.StartAsync();
        server = await ServerProcess.StartAsync(dll, TimeSpan.FromSeconds(60), options.DataDir,
            [.. cosmos?.ServerArguments() ?? [], .. options.ServerArgs, .. options.ValidationMode is { } mode ? [$"--Validation:Mode={mode}"] : Array.Empty<string>()]);
        memory = new MemorySampler(server.ProcessId);
        baseUri = server.BaseUri;
        var storage = options.Cosmos ? "Cosmos DB store on the npm emulator (tests/cosmos-emulator)"
            : options.DataDir is null ? "SQLite in a temp dir" : $"SQLite at `{options.DataDir}/bench.db`, kept";
        serverDescription = $"`{Path.GetFileName(dll)}` started by the bench on {baseUri} (Production, {storage}"
            + (options.ServerArgs.Count > 0 ? $", {string.Join(' ', options.ServerArgs)}" : "")
            + (options.ValidationMode is { } m ? $", Validation:Mode={m})" : ")");
    }

    Console.WriteLine($"Target {baseUri}, {options.Clients} clients, warm-up {options.Warmup.TotalSeconds:0} s, duration {options.Duration.TotalSeconds:0} s");
    Console.WriteLine($"Machine: {Report.MachineInfo()}");

    if (options.Scenario is "ingest" or "everything" or "export")
        return await ExchangeBench.RunAsync(options, new BenchTarget(baseUri, serverDescription, server, memory));
    if (options.Scenario is "load" or "search" or "index-cost" or "care-gaps")
        return await SearchBench.RunAsync(options, new BenchTarget(baseUri, serverDescription, server, memory));

    using var http = LoadRunner.CreateClient(options.Clients);
    var runner = new LoadRunner(http, options.Clients, memory);
    var results = new List<ScenarioResult>();
    ScenarioResult? health = null;
    SeededPatients? seeded = null;

    if (options.Scenario is not ("all" or "health"))
    {
        Console.WriteLine("Reference: short health run");
        health = await runner.RunAsync(new HealthScenario(baseUri),
            Min(options.Warmup, TimeSpan.FromSeconds(2)), Min(options.Duration, TimeSpan.FromSeconds(5)));
        Report.PrintScenario(health, health.RequestsPerSecond);
    }

    foreach (var name in options.Scenario == "all" ? ["health", "create", "read", "update"] : new[] { options.Scenario })
    {
        if (name is "read" or "update" && seeded is null)
        {
            Console.WriteLine($"Seeding {options.SeedCount:N0} Patients ...");
            var seedStart = Stopwatch.GetTimestamp();
            seeded = await SeededPatients.CreateAsync(http, baseUri, options.SeedCount, options.Clients);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  seeded in {Stopwatch.GetElapsedTime(seedStart).TotalSeconds:0.0} s"));
        }
        Scenario scenario = name switch
        {
            "health" => new HealthScenario(baseUri),
            "create" => new CreateScenario(baseUri),
            "read" => new ReadScenario(seeded!),
            "update" => new UpdateScenario(seeded!),
            _ => throw new UnreachableException(),
        };
        Console.WriteLine($"Running {name} ...");
        var result = await runner.RunAsync(scenario, options.Warmup, options.Duration);
        if (name == "health")
            health = result;
        results.Add(result);
        Report.PrintScenario(result, health?.RequestsPerSecond);
        if (server?.HasExited == true)
        {
            Console.Error.WriteLine($"Server exited during the run ({server.ExitDescription}). Output:\n{server.OutputTail()}");
            return 1;
        }
    }

    var highWaterMark = memory?.HighWaterMark();
    Console.WriteLine();
    Console.WriteLine(Report.Markdown(options, serverDescription, results, health, memory?.PeakOverall, highWaterMark));
    foreach (var result in results)
    {
        if (result.FirstError is not null)
            Console.WriteLine($"First error in {result.Name}: {result.FirstError}");
    }
    return results.Exists(r => r.Failed > 0) ? 1 : 0;
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException)
{
    Console.Error.WriteLine($"Benchmark failed: {ex.Message}");
    return 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"Benchmark failed: {ex}");
    return 1;
}
finally
{
    memory?.Dispose();
    server?.Dispose();
    cosmos?.Dispose();
}

static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
