using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace FhirCare.Bench;

/// <summary>
/// The care-gaps scenario (docs/benchmarks.md, "Care gaps"): every measure through <c>GET Measure/$care-gaps</c> for a
/// Group of all loaded members, and for a Group of half of them (the server's peak memory must not grow with the
/// number of members). Reports member-evaluations/s (members × measures per second) end to end, response streamed.
/// </summary>
static class CareGapsBench
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    const int Measures = 8;
    const string Statuses = "status=open-gap&status=closed-gap&status=prospective-gap&status=not-applicable";

    public static async Task<int> RunAsync(Options options, BenchTarget target, (SyntheticData Data, string Note)? loaded)
    {
        if (loaded is not { } l) return 2;
        var (data, note) = l;
        using var http = new HttpClient { BaseAddress = target.BaseUri, Timeout = TimeSpan.FromHours(2) };
        var half = await PutGroupAsync(http, "bench-half-members", data.Members / 2);
        var all = await PutGroupAsync(http, "bench-all-members", data.Members);

        var rows = new List<string>();
        var loadBefore = Report.LoadAverage();
        foreach (var (group, members) in new[] { (half, data.Members / 2), (all, data.Members) })
        {
            target.Memory?.ResetPeak();
            var load = Report.LoadAverage();
            Console.WriteLine($"$care-gaps for Group/{group} ({members:N0} members, {Measures} measures) ...");
            var (elapsed, returns, bytes) = await CareGapsAsync(http, group, options.Period);
            var peak = target.Memory?.Peak;
            var rate = members * Measures / elapsed.TotalSeconds;
            var row = string.Create(Invariant,
                $"| {members:N0} | {elapsed.TotalSeconds:0.0} | {members / elapsed.TotalSeconds:N0} | **{rate:N0}** | {returns:N0} | {bytes / (1024.0 * 1024):N0} | {Report.Megabytes(peak)} | {load} |");
            Console.WriteLine(row);
            rows.Add(row);
        }

        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Invariant, $"### {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC — care gaps, {Measures} measures, period {options.Period.Replace("&", ", ")}")).AppendLine();
        sb.AppendLine($"- Machine: {Report.MachineInfo()}");
        sb.AppendLine($"- Server: {target.ServerDescription}");
        sb.AppendLine($"- Data: {note}");
        sb.AppendLine($"- Request: `GET /Measure/$care-gaps?{options.Period}&subject=Group/[id]&{Statuses}` (every member gets a document), response read as a stream");
        sb.AppendLine($"- Load average (1/5/15 min) before: {loadBefore}; after: {Report.LoadAverage()}").AppendLine();
        sb.AppendLine("| members | seconds | members/s | member-evaluations/s | documents | response MB | server peak RSS | load average at start |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---|");
        rows.ForEach(r => sb.AppendLine(r));
        Console.WriteLine();
        Console.WriteLine(sb);
        return 0;
    }

    static async Task<string> PutGroupAsync(HttpClient http, string id, int members)
    {
        var json = new StringBuilder($"{{\"resourceType\":\"Group\",\"id\":\"{id}\",\"type\":\"person\",\"actual\":true,\"member\":[");
        for (var m = 0; m < members; m++)
            json.Append(m == 0 ? "" : ",").Append("{\"entity\":{\"reference\":\"Patient/pat-").Append(m.ToString(Invariant)).Append("\"}}");
        json.Append("]}");
        using var content = new StringContent(json.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var response = await http.PutAsync($"Group/{id}", content);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PUT Group/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return id;
    }

    static async Task<(TimeSpan Elapsed, long Returns, long Bytes)> CareGapsAsync(HttpClient http, string group, string period)
    {
        var start = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"Measure/$care-gaps?{period}&subject=Group/{group}&{Statuses}");
        request.Headers.Accept.ParseAdd("application/fhir+json");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"$care-gaps: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        var marker = "{\"name\":\"return\""u8.ToArray();
        var buffer = new byte[1 << 16];
        long bytes = 0, returns = 0;
        var matched = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            for (var i = 0; i < read; i++)
            {
                matched = buffer[i] == marker[matched] ? matched + 1 : buffer[i] == marker[0] ? 1 : 0;
                if (matched == marker.Length) { returns++; matched = 0; }
            }
        }
        return (Stopwatch.GetElapsedTime(start), returns, bytes);
    }
}
