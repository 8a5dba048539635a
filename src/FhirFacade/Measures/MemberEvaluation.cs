using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Evaluates measures over a scope of members, a page at a time: the members of a page are loaded and evaluated in
/// parallel, then handed to <c>sink</c> in member order; the next page is read only after that.
/// </summary>
public sealed class MemberEvaluation(MemberRecords records)
{
    public async Task RunAsync<T>(IFhirStore store, MemberScope scope, IReadOnlyList<MeasureDefinition> measures, MeasurementPeriod period,
        DateOnly today, Func<Member, IReadOnlyList<MeasureResult>, T> perMember, Func<T, Task> sink, CancellationToken ct)
    {
        var filter = new RecordFilter(measures);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct };
        await foreach (var page in records.PagesAsync(store, scope, ct))
        {
            var outputs = new T[page.Count];
            await Parallel.ForAsync(0, page.Count, options, async (i, token) =>
            {
                var member = await records.LoadAsync(store, page[i], filter, token);
                var results = new MeasureResult[measures.Count];
                for (var m = 0; m < measures.Count; m++) results[m] = MeasureCatalog.Evaluate(measures[m], member, period, today);
                outputs[i] = perMember(member, results);
            });
            foreach (var output in outputs) await sink(output);
        }
    }
}
