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

ServerProcess? server = null;
MemorySampler? memory = null;
Console.CancelKeyPress += (_, _) => server?.Dispose();
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
        server = await ServerProcess.StartAsync(dll, TimeSpan.FromSeconds(60));
        memory = new MemorySampler(server.ProcessId);
        baseUri = server.BaseUri;
        serverDescription = $"`{Path.GetFileName(dll)}` started by the bench on {baseUri} (Production, SQLite in a temp dir)";
    }

    Console.WriteLine($"Target {baseUri}, {options.Clients} clients, warm-up {options.Warmup.TotalSeconds:0} s, duration {options.Duration.TotalSeconds:0} s");
    Console.WriteLine($"Machine: {Report.MachineInfo()}");

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
            Console.Error.WriteLine($"Server exited during the run. Output:\n{server.OutputTail()}");
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
}

static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

sealed class Options
{
    public const string Usage =
        """
        Usage: dotnet run -c Release --project bench/FhirCare.Bench -- [options]
          --scenario all|health|create|read|update   (default all)
          --clients N          concurrent closed-loop clients (default 32)
          --duration SECONDS   measured time per scenario (default 20)
          --warmup SECONDS     unmeasured time before each scenario (default 5)
          --server-dll PATH    server to start (default src/FhirFacade/bin/Release/net10.0/FhirCare.FhirFacade.dll)
          --url URL            use a running server instead of starting one
          --seed-count N       Patients created before read/update (default 2000)
        """;

    static readonly string[] Scenarios = ["all", "health", "create", "read", "update"];

    public string Scenario { get; private set; } = "all";
    public int Clients { get; private set; } = 32;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);
    public string? ServerDll { get; private set; }
    public Uri? Url { get; private set; }
    public int SeedCount { get; private set; } = 2000;
    public bool ShowHelp { get; private set; }

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
                (arg, inline) = (arg[..equals], arg[(equals + 1)..]);
            if (arg is "-h" or "--help")
            {
                options.ShowHelp = true;
                continue;
            }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value."));
            switch (arg)
            {
                case "--scenario":
                    options.Scenario = Array.IndexOf(Scenarios, value) >= 0 ? value : throw new ArgumentException($"Unknown scenario '{value}'.");
                    break;
                case "--clients":
                    options.Clients = PositiveInt(arg, value);
                    break;
                case "--duration":
                    options.Duration = Seconds(arg, value, allowZero: false);
                    break;
                case "--warmup":
                    options.Warmup = Seconds(arg, value, allowZero: true);
                    break;
                case "--server-dll":
                    options.ServerDll = value;
                    break;
                case "--url":
                    options.Url = Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var url)
                        ? url
                        : throw new ArgumentException($"--url '{value}' is not an absolute URL.");
                    break;
                case "--seed-count":
                    options.SeedCount = PositiveInt(arg, value);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }
        if (options.Url is not null && options.ServerDll is not null)
            throw new ArgumentException("Give either --server-dll or --url, not both.");
        return options;
    }

    public static string FindRepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FhirCare.sln")))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer, got '{value}'.");

    static TimeSpan Seconds(string name, string value, bool allowZero) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && (s > 0 || allowZero && s == 0)
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name} must be a number of seconds, got '{value}'.");
}
