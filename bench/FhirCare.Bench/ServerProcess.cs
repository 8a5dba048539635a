using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FhirCare.Bench;

/// <summary>
/// Runs the built server dll on a free loopback port with a throwaway SQLite database, or with DIR/bench.db when
/// given a data directory (which is then kept).
/// </summary>
sealed class ServerProcess : IDisposable
{
    const int OutputTailLines = 60;

    readonly Process _process;
    readonly string _dataDirectory;
    readonly bool _keepData;
    readonly Queue<string> _outputTail = new();

    ServerProcess(Process process, string dataDirectory, bool keepData, Uri baseUri)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        _keepData = keepData;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }
    public string DatabasePath => Path.Combine(_dataDirectory, "bench.db");
    public int ProcessId => _process.Id;

    /// <summary>CPU time the server process has used (user + system, all threads), from /proc/[pid]/stat.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            var stat = File.ReadAllText($"/proc/{ProcessId}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
    }

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

    public string ExitDescription
    {
        get
        {
            try
            {
                return _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
            }
            catch (InvalidOperationException)
            {
                return "exit code unknown";
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dll, TimeSpan startupTimeout, string? keptDataDirectory = null, params string[] settings)
    {
        var port = FreeLoopbackPort();
        var dataDirectory = keptDataDirectory is null
            ? Directory.CreateTempSubdirectory("fhircare-bench-").FullName
            : Directory.CreateDirectory(Path.GetFullPath(keptDataDirectory)).FullName;
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
                     // Production turns security on; the scenarios send no token (an --auth mode is still to come).
                     "--Security:Enabled=false",
                 }.Concat(settings))
            startInfo.ArgumentList.Add(argument);
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet.");
        var server = new ServerProcess(process, dataDirectory, keptDataDirectory is not null, baseUri);
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

    public long WalBytes
    {
        get
        {
            var wal = new FileInfo(DatabasePath + "-wal");
            return wal.Exists ? wal.Length : 0;
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// SIGTERM first, so the server shuts down cleanly and its store checkpoints and truncates the WAL (a kept
    /// database then opens without replaying a large log); SIGKILL if it has not exited within two minutes.
    /// </summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited && (!OperatingSystem.IsLinux() || kill(_process.Id, 15) != 0 || !_process.WaitForExit(120_000)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        if (_keepData)
            return;
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

    /// <summary>Resets the peak and returns the current VmRSS, in bytes.</summary>
    public long ResetPeakAndRead()
    {
        ResetPeak();
        return Interlocked.Read(ref _peak);
    }

    public long Current() => ReadKilobytes("VmRSS:") * 1024;

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
