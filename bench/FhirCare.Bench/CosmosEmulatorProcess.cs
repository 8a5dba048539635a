using System.Diagnostics;

namespace FhirCare.Bench;

/// <summary>
/// The npm Cosmos DB emulator (tests/cosmos-emulator/launch.js) for --cosmos runs: started on 127.0.0.1 and a free
/// port, stopped with the bench. Figures against it are for regressions only: it is in memory and single-threaded.
/// </summary>
sealed class CosmosEmulatorProcess : IDisposable
{
    readonly Process _process;

    public string ConnectionString { get; }

    CosmosEmulatorProcess(Process process, int port)
    {
        _process = process;
        ConnectionString = $"AccountEndpoint=https://127.0.0.1:{port}/;AccountKey={Convert.ToBase64String(new byte[64])};";
    }

    public static async Task<CosmosEmulatorProcess> StartAsync()
    {
        var folder = Path.Combine(Options.FindRepoRoot(), "tests", "cosmos-emulator");
        if (!Directory.Exists(Path.Combine(folder, "node_modules")))
            throw new InvalidOperationException($"Run `npm ci` in {folder} first (needs Node.js).");
        var process = Process.Start(new ProcessStartInfo("node", "launch.js")
        {
            WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start node.");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready is null || !ready.StartsWith("listening on ", StringComparison.Ordinal))
            throw new InvalidOperationException($"The emulator did not start: {ready}");
        return new CosmosEmulatorProcess(process, int.Parse(ready["listening on ".Length..]));
    }

    /// <summary>The server's command-line settings for the Cosmos store on this emulator.</summary>
    public IEnumerable<string> ServerArguments() =>
    [
        "--Storage:Provider=Cosmos",
        $"--Storage:Cosmos:ConnectionString={ConnectionString}",
        "--Storage:Cosmos:ConnectionMode=Gateway",
        "--Storage:Cosmos:AcceptEmulatorCertificate=true",
    ];

    public void Dispose()
    {
        if (_process.HasExited) return;
        _process.StandardInput.Close();
        if (!_process.WaitForExit(2000)) _process.Kill();
        _process.Dispose();
    }
}
