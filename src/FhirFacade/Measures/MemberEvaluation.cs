using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Evaluates measures over a scope of members, a page at a time: the records of a page are loaded together, the
/// members evaluated in parallel, then handed to <c>sink</c> in member order; the next page is read only after that.
/// </summary>
public sealed class MemberEvaluation(MemberRecords records, ILogger<MemberEvaluation> logger)
{
    public async Task RunAsync<T>(IFhirStore store, MemberScope scope, IReadOnlyList<MeasureDefinition> measures, MeasurementPeriod period,
        DateOnly today, Func<Member, IReadOnlyList<MeasureResult>, T> perMember, Func<T, Task> sink, CancellationToken ct)
    {
        var filter = new RecordFilter(measures);
        var options = new ParallelOptions { CancellationToken = ct };
        var (started, count) = (System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        TimeSpan reading = default, evaluating = default, writing = default;
        var pages = records.PagesAsync(store, scope, ct).GetAsyncEnumerator(ct);
        while (true)
        {
            var mark = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!await pages.MoveNextAsync()) break;
            var page = pages.Current;
            var members = await records.LoadAsync(store, page, filter, ct);
            reading += System.Diagnostics.Stopwatch.GetElapsedTime(mark);
            mark = System.Diagnostics.Stopwatch.GetTimestamp();
            var outputs = new T[members.Count];
            Parallel.For(0, members.Count, options, i =>
            {
                var results = new MeasureResult[measures.Count];
                for (var m = 0; m < measures.Count; m++) results[m] = MeasureCatalog.Evaluate(measures[m], members[i], period, today);
                outputs[i] = perMember(members[i], results);
            });
            evaluating += System.Diagnostics.Stopwatch.GetElapsedTime(mark);
            mark = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var output in outputs) await sink(output);
            writing += System.Diagnostics.Stopwatch.GetElapsedTime(mark);
            count += members.Count;
        }
        await pages.DisposeAsync();
        logger.LogInformation("Evaluated {Measures} measures for {Members} members in {Seconds:0.0} s: reading members and records {Reading:0.0} s, evaluating {Evaluating:0.0} s, writing {Writing:0.0} s",
            measures.Count, count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, reading.TotalSeconds, evaluating.TotalSeconds, writing.TotalSeconds);
    }
}
