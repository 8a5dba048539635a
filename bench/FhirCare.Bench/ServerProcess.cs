using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FhirCare.Bench;

/// <summary>Runs the built server dll on a free loopback port with a throwaway SQLite database.</summary>
sealed class ServerProcess : IDisposable
{
    const int OutputTailLines = 60;

    readonly Process _process;
    readonly string _dataDirectory;
    readonly Queue<string> _outputTail = new();

    ServerProcess(Process process, string dataDirectory, Uri baseUri)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }
    public int ProcessId => _process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dll, TimeSpan startupTimeout)
    {
        var port = FreeLoopbackPort();
        var dataDirectory = Directory.CreateTempSubdirectory("fhircare-bench-").FullName;
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var argument in new[]
                 {
                     dll,
                     "--urls", baseUri.ToString().TrimEnd('/'),
                     $"--Storage:Sqlite:Path={Path.Combine(dataDirectory, "bench.db")}",
                     "--Logging:LogLevel:Default=Warning",
                 })
            startInfo.ArgumentList.Add(argument);
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet.");
        var server = new ServerProcess(process, dataDirectory, baseUri);
        process.OutputDataReceived += (_, e) => server.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => server.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilLiveAsync(startupTimeout);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    async Task WaitUntilLiveAsync(TimeSpan timeout)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var health = new Uri(BaseUri, "health/live");
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var lastStatus = "no response";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException(
                    $"Server exited with code {_process.ExitCode} before becoming live. Output:\n{OutputTail()}");
            try
            {
                using var response = await probe.GetAsync(health);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
                lastStatus = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                lastStatus = ex.Message;
            }
            catch (TaskCanceledException)
            {
                lastStatus = "probe timed out";
            }
            await Task.Delay(200);
        }
        throw new TimeoutException(
            $"GET {health} did not return 200 within {timeout.TotalSeconds:0} s (last: {lastStatus}). Output:\n{OutputTail()}");
    }

    public string OutputTail()
    {
        lock (_outputTail)
            return _outputTail.Count == 0 ? "(no output)" : string.Join('\n', _outputTail);
    }

    void Capture(string? line)
    {
        if (line is null)
            return;
        lock (_outputTail)
        {
            _outputTail.Enqueue(line);
            if (_outputTail.Count > OutputTailLines)
                _outputTail.Dequeue();
        }
    }

    static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Polls /proc/&lt;pid&gt;/status for VmRSS every 100 ms; Linux only, silently inert elsewhere.</summary>
sealed class MemorySampler : IDisposable
{
    readonly string _statusPath;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    long _peak;
    long _peakOverall;

    public MemorySampler(int pid)
    {
        _statusPath = $"/proc/{pid}/status";
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Highest VmRSS since the last <see cref="ResetPeak"/>, in bytes.</summary>
    public long Peak => Interlocked.Read(ref _peak);

    public long PeakOverall => Interlocked.Read(ref _peakOverall);

    public void ResetPeak() => Interlocked.Exchange(ref _peak, ReadKilobytes("VmRSS:") * 1024);

    /// <summary>The kernel's own high-water mark for the process, in bytes.</summary>
    public long HighWaterMark() => ReadKilobytes("VmHWM:") * 1024;

    async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            var rss = ReadKilobytes("VmRSS:") * 1024;
            InterlockedMax(ref _peak, rss);
            InterlockedMax(ref _peakOverall, rss);
        } while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
    }

    static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)))
            Interlocked.CompareExchange(ref target, value, current);
    }

    long ReadKilobytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines(_statusPath))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal))
                    continue;
                var digits = line.AsSpan(field.Length).Trim();
                var space = digits.IndexOf(' ');
                return long.Parse(space < 0 ? digits : digits[..space]);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait();
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
