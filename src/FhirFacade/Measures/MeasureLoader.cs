using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Reads the Measures stored on this server (published from profiles/measures, or written by a client) and the
/// ValueSets they name into a <see cref="MeasureCatalog"/>. Read per request: a handful of searches, and a Measure or
/// ValueSet a client just changed is used at once.
/// </summary>
public sealed class MeasureLoader(SearchParameterRegistry registry)
{
    public async Task<MeasureCatalog> LoadAsync(IFhirStore store, CancellationToken ct)
    {
        var measures = new List<Measure>();
        await foreach (var stored in Pages(store, new SearchQuery("Measure", null, [], 500, 0, TotalMode.None), ct))
            if (FhirResponses.ParseStored(stored) is Measure m && MeasureCatalog.IsDeclared(m)) measures.Add(m);

        var urlKey = registry.Find("ValueSet", "url")!.IndexKey;
        var valueSets = new Dictionary<string, ValueSet>(StringComparer.Ordinal);
        var wanted = new Queue<string>(measures.SelectMany(MeasureCatalog.ValueSetsUsedBy).Distinct());
        while (wanted.TryDequeue(out var url))
        {
            if (valueSets.ContainsKey(url)) continue;
            var page = await store.SearchAsync(new SearchQuery("ValueSet", new UriCondition(urlKey, UriMatch.Exact, url.Split('|')[0]), [], 2, 0, TotalMode.None), ct);
            if (page.Matches.Count == 0 || FhirResponses.ParseStored(page.Matches[0]) is not ValueSet vs) continue; // the catalog names what is missing
            valueSets[url] = vs;
            foreach (var included in vs.Compose?.Include.SelectMany(i => i.ValueSet).OfType<string>() ?? []) wanted.Enqueue(included);
        }
        return new MeasureCatalog(measures, valueSets.Values);
    }

    /// <summary>Every match of <paramref name="query"/>, a page at a time.</summary>
    internal static async IAsyncEnumerable<StoredResource> Pages(IFhirStore store, SearchQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var page = await store.SearchAsync(query, ct);
            foreach (var match in page.Matches) yield return match;
            if (page.Next is null) yield break;
            query = query with { Cursor = page.Next };
        }
    }
}
