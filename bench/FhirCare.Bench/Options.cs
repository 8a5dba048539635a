using System.Globalization;

namespace FhirCare.Bench;

sealed class Options
{
    public const string Usage =
        """
        Usage: dotnet run -c Release --project bench/FhirCare.Bench -- [options]
          --scenario all|health|create|read|update|load|search|index-cost|ingest|everything|export|validate|care-gaps   (default all; validate runs in-process)
          --clients N          concurrent closed-loop clients (default 16 for search, 32 otherwise)
          --duration SECONDS   measured time per scenario (default 20)
          --warmup SECONDS     unmeasured time before each scenario (default 5)
          --server-dll PATH    server to start (default src/FhirFacade/bin/Release/net10.0/FhirCare.FhirFacade.dll)
          --server-arg ARG     an argument for the started server, repeatable (e.g. --server-arg=--Audit:Enabled=false)
          --url URL            use a running server instead of starting one
          --seed-count N       Patients created before read/update (default 2000)
          --validation-mode M  the started server's Validation:Mode: off, core or profiles (default: the server's, profiles)
          --cosmos             run the started server on the Cosmos DB store, against the npm emulator the bench
                               starts from tests/cosmos-emulator (run `npm ci` there once); regressions only
        load and search:
          --resources N        synthetic resources to load (default 20000)
          --members N          members among them (default resources / 20)
          --seed N             seed of the synthetic data and of the queries (default 1)
          --data-dir DIR       keep the database in DIR/bench.db; search reuses a data set loaded there earlier
          --load-clients N     concurrent clients while loading (default 32)
          --searches LIST      comma-separated subset of token,string,date,reference,chained,include,sort-page
          --period START..END  care-gaps: the measurement period (default 2024-01-01..2024-12-31)
          --loaded             with --url: the server already holds the data set of --resources/--members/--seed
        exchange (ingest, everything, export):
          --bundles DIR        ingest: a folder of Synthea Bundles (0-*.json batches first, then patient transactions),
                               reposted until --resources resources are stored (use --clients 8)
          everything: $everything for up to 200 stored members for --duration; export: a system $export of the
          data in --data-dir (or --url), with the server's memory sampled
        """;

    static readonly string[] Scenarios = ["all", "health", "create", "read", "update", "load", "search", "index-cost", "ingest", "everything", "export", "validate", "care-gaps"];

    int? _clients;

    public string Scenario { get; private set; } = "all";
    public int Clients => _clients ?? (Scenario == "search" ? 16 : 32);
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);
    public string? ServerDll { get; private set; }
    public List<string> ServerArgs { get; } = [];
    public Uri? Url { get; private set; }
    public int SeedCount { get; private set; } = 2000;
    public bool ShowHelp { get; private set; }
    public long Resources { get; private set; } = 20_000;
    public int Members => _members ?? (int)Math.Max(1, Resources / 20);
    public int Seed { get; private set; } = 1;
    public string? DataDir { get; private set; }

    /// <summary>--validation-mode off|core|profiles: the started server's Validation:Mode (default: the server's own, profiles).</summary>
    public string? ValidationMode { get; private set; }
    public int LoadClients { get; private set; } = 32;
    public string[] Searches { get; private set; } = SearchQueries.Names;
    public bool Loaded { get; private set; }
    public string? Bundles { get; private set; }
    public bool Cosmos { get; private set; }
    /// <summary>care-gaps: the measurement period as query parameters.</summary>
    public string Period { get; private set; } = "periodStart=2024-01-01&periodEnd=2024-12-31";

    int? _members;

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
            if (arg == "--cosmos")
            {
                options.Cosmos = true;
                continue;
            }
            if (arg == "--loaded")
            {
                options.Loaded = true;
                continue;
            }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value."));
            switch (arg)
            {
                case "--scenario":
                    options.Scenario = Array.IndexOf(Scenarios, value) >= 0 ? value : throw new ArgumentException($"Unknown scenario '{value}'.");
                    break;
                case "--clients":
                    options._clients = PositiveInt(arg, value);
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
                case "--server-arg":
                    options.ServerArgs.Add(value);
                    break;
                case "--url":
                    options.Url = Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var url)
                        ? url
                        : throw new ArgumentException($"--url '{value}' is not an absolute URL.");
                    break;
                case "--seed-count":
                    options.SeedCount = PositiveInt(arg, value);
                    break;
                case "--resources":
                    options.Resources = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                        ? n
                        : throw new ArgumentException($"--resources must be a positive integer, got '{value}'.");
                    break;
                case "--members":
                    options._members = PositiveInt(arg, value);
                    break;
                case "--seed":
                    options.Seed = PositiveInt(arg, value);
                    break;
                case "--bundles":
                    options.Bundles = Directory.Exists(value) ? value : throw new ArgumentException($"--bundles '{value}' is not a folder.");
                    break;
                case "--validation-mode":
                    options.ValidationMode = value is "off" or "core" or "profiles" ? value : throw new ArgumentException($"--validation-mode must be off, core or profiles, not '{value}'");
                    break;
                case "--data-dir":
                    options.DataDir = value;
                    break;
                case "--load-clients":
                    options.LoadClients = PositiveInt(arg, value);
                    break;
                case "--period":
                    var dates = value.Split("..");
                    options.Period = dates.Length == 2 && DateOnly.TryParse(dates[0], out _) && DateOnly.TryParse(dates[1], out _)
                        ? $"periodStart={dates[0]}&periodEnd={dates[1]}"
                        : throw new ArgumentException($"--period must be START..END (dates), got '{value}'.");
                    break;
                case "--searches":
                    options.Searches = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    foreach (var name in options.Searches)
                    {
                        if (Array.IndexOf(SearchQueries.Names, name) < 0)
                            throw new ArgumentException($"Unknown search scenario '{name}'.");
                    }
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }
        if (options.Url is not null && options.ServerDll is not null)
            throw new ArgumentException("Give either --server-dll or --url, not both.");
        if (options.Url is not null && options.DataDir is not null)
            throw new ArgumentException("--data-dir is for the server the bench starts; not with --url.");
        if (options.Loaded && options.Url is null)
            throw new ArgumentException("--loaded goes with --url; with --data-dir the data set is recorded in DIR/bench.json.");
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
