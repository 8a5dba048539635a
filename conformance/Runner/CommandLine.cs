namespace FhirCare.Conformance;

/// <summary>"command --name value --flag" arguments; a name may repeat.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static (string Command, CommandLine Options) Parse(string[] args)
    {
        var options = new CommandLine();
        var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
        for (var i = command == "run" && (args.Length == 0 || args[0] != "run") ? 0 : 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var name = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "";
            if (!options._values.TryGetValue(name, out var list)) options._values[name] = list = [];
            list.Add(value);
        }
        return (command, options);
    }

    public string? Single(string name) => _values.TryGetValue(name, out var v) ? v[^1] : null;
    public IReadOnlyList<string> Many(string name) => _values.TryGetValue(name, out var v) ? v : [];
    public bool Has(string name) => _values.ContainsKey(name);
}

/// <summary>The kit's folder (conformance/): found from the working directory upwards, else from the program's own location.</summary>
public static class KitFolder
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Runner", "FhirCare.Conformance.csproj"))) return dir.FullName;
                var nested = Path.Combine(dir.FullName, "conformance");
                if (File.Exists(Path.Combine(nested, "Runner", "FhirCare.Conformance.csproj"))) return nested;
            }
        throw new InvalidOperationException("cannot find the conformance/ folder: run from the repository, or pass --scripts and --out");
    }
}
