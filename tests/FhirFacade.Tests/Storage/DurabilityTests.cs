using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>An acknowledged write survives kill -9: the server runs as its own process, is killed, and restarted on the same file.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Acknowledged_writes_survive_kill_9()
    {
        var db = Path.Combine(_folder, "durable.db");
        var ids = new List<string>();
        using (var server = await ServerProcess.StartAsync(db))
        {
            var client = server.Client();
            var creates = Enumerable.Range(0, 40).Select(i => client.CreateAsync(new Patient { Name = [new HumanName { Family = $"Durable{i}" }] }));
            ids.AddRange((await System.Threading.Tasks.Task.WhenAll(creates)).Select(p => p!.Id));
            var updated = await client.UpdateAsync(new Patient { Id = ids[0], Name = [new HumanName { Family = "Updated" }] });
            Assert.Equal("2", updated!.Meta.VersionId);
            server.Kill();
        }

        using var restarted = await ServerProcess.StartAsync(db);
        var again = restarted.Client();
        foreach (var id in ids.Skip(1)) Assert.NotNull(await again.ReadAsync<Patient>($"Patient/{id}"));
        var first = await again.ReadAsync<Patient>($"Patient/{ids[0]}");
        Assert.Equal("Updated", first!.Name[0].Family);
        Assert.Equal("2", first.Meta.VersionId);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly string _baseUrl;

        private ServerProcess(Process process, string baseUrl) => (_process, _baseUrl) = (process, baseUrl);

        public static async Task<ServerProcess> StartAsync(string databasePath)
        {
            var port = FreePort();
            var url = $"http://127.0.0.1:{port}";
            var dll = Path.Combine(AppContext.BaseDirectory, "FhirCare.FhirFacade.dll");
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "--urls", url, "--Storage:Sqlite:Path", databasePath, "--Logging:LogLevel:Default", "Warning", "--Security:Enabled", "false" },
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var http = new HttpClient();
            for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await System.Threading.Tasks.Task.Delay(100))
            {
                if (process.HasExited) throw new InvalidOperationException($"The server exited with code {process.ExitCode}");
                try
                {
                    if ((await http.GetAsync($"{url}/health/ready")).StatusCode == HttpStatusCode.OK) return new ServerProcess(process, url);
                }
                catch (HttpRequestException) { }
            }
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The server did not become ready in 60 s");
        }

        public FhirClient Client() => new(_baseUrl, new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false });

        /// <summary>SIGKILL: no shutdown hooks, no flushing; only what was committed survives.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited) Kill();
            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
