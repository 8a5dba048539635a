using System.Diagnostics;

namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>
/// A Cosmos DB protocol server for the tests: <c>@vercel/cosmosdb-server</c> (pinned in tests/cosmos-emulator/
/// package-lock.json, installed here with <c>npm ci</c> on first use) started by our launcher on 127.0.0.1 and
/// a free port. In memory; ends with the test process. Without Node.js, <see cref="Unavailable"/> says why.
/// </summary>
public sealed class CosmosEmulator : IDisposable
{
    private static readonly Lazy<CosmosEmulator> Shared = new(() => new CosmosEmulator());

    /// <summary>One server per test run, shared by the fixtures (each uses its own database).</summary>
    public static CosmosEmulator Instance => Shared.Value;

    private readonly Process? _process;

    public string? Unavailable { get; }

    /// <summary>A connection string for the server; it accepts any key.</summary>
    public string ConnectionString { get; } = "";

    private CosmosEmulator()
    {
        var folder = Folder();
        if (!OnPath("node") || !OnPath("npm"))
        {
            Unavailable = "Cosmos DB emulator tests skipped: Node.js (node and npm) is not installed, and the emulator is an npm package";
            return;
        }
        if (!File.Exists(Path.Combine(folder, "node_modules", "@vercel", "cosmosdb-server", "package.json")))
        {
            var (code, output) = Run("npm", "ci --no-audit --no-fund --loglevel=error", folder, TimeSpan.FromMinutes(5));
            if (code != 0) throw new InvalidOperationException($"npm ci in {folder} failed ({code}): {output}");
        }
        var start = new ProcessStartInfo("node", "launch.js")
        {
            WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { }; // the server logs handler errors; keep the pipe drained
        _process.BeginErrorReadLine();
        var ready = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        if (ready is null || !ready.StartsWith("listening on ", StringComparison.Ordinal))
            throw new InvalidOperationException($"The Cosmos DB emulator did not start: {ready}");
        var port = int.Parse(ready["listening on ".Length..]);
        ConnectionString = $"AccountEndpoint=https://127.0.0.1:{port}/;AccountKey={Convert.ToBase64String(new byte[64])};";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>tests/cosmos-emulator, found by walking up from the test binaries to the repository root.</summary>
    private static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "cosmos-emulator");
            if (File.Exists(Path.Combine(candidate, "launch.js"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/cosmos-emulator not found above " + AppContext.BaseDirectory);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static (int Code, string Output) Run(string file, string arguments, string folder, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout)) { process.Kill(entireProcessTree: true); return (-1, "timed out"); }
        return (process.ExitCode, output.Result + error.Result);
    }

    public void Dispose()
    {
        if (_process is null || _process.HasExited) return;
        try
        {
            _process.StandardInput.Close(); // the launcher exits when its standard input closes
            if (!_process.WaitForExit(2000)) _process.Kill();
        }
        catch (InvalidOperationException) { }
    }
}
