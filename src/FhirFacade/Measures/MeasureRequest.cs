using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>What both measure operations read first: the measurement period and which Measures to run.</summary>
public static class MeasureRequest
{
    public static MeasurementPeriod Period(OperationInput input)
    {
        var start = input.Date("periodStart", end: false);
        var end = input.Date("periodEnd", end: true);
        if (end < start) throw FhirException.BadRequest($"periodEnd ({end:yyyy-MM-dd}) is before periodStart ({start:yyyy-MM-dd})", "periodEnd");
        return new MeasurementPeriod(start, end);
    }

    /// <summary>The Measure at Measure/[id]: 404 when there is none, 422 when it is not one this server can evaluate.</summary>
    public static async Task<MeasureDefinition> InstanceAsync(string id, MeasureCatalog catalog, IFhirStore store, CancellationToken ct)
    {
        ResourceTypes.RequireId(id);
        if (catalog.Find(id) is { } found) return found;
        if (catalog.Problems.TryGetValue(id, out var problem))
            throw FhirException.Of(422, OperationOutcome.IssueType.Processing, $"Measure/{id} cannot be evaluated: {problem}");
        if (await store.ReadAsync("Measure", id, ct) is { Deleted: false })
            throw FhirException.Of(422, OperationOutcome.IssueType.NotSupported,
                $"Measure/{id} does not declare its criteria in {MeasureDefinition.CriteriaLanguage} (CQL is not supported here; see docs/measures.md)");
        throw FhirException.NotFound($"Measure/{id} is not on this server");
    }

    /// <summary>
    /// The Measures named by measureId, measureUrl (canonical, optionally |version) and measureIdentifier ([system|]value),
    /// narrowed by topic; all evaluable Measures when none is named. Each name that matches nothing is a 404 naming it.
    /// </summary>
    public static IReadOnlyList<MeasureDefinition> Selected(OperationInput input, MeasureCatalog catalog)
    {
        var chosen = new List<MeasureDefinition>();
        void Add(MeasureDefinition m) { if (!chosen.Contains(m)) chosen.Add(m); }
        foreach (var id in input.All("measureId"))
        {
            if (catalog.Problems.TryGetValue(id, out var problem))
                throw FhirException.Of(422, OperationOutcome.IssueType.Processing, $"Measure/{id} cannot be evaluated: {problem}", "measureId");
            Add(catalog.Find(id) ?? throw NotFound("measureId", $"No Measure with id '{id}'"));
        }
        foreach (var url in input.All("measureUrl"))
        {
            var parts = url.Split('|');
            var match = catalog.Measures.Where(m => m.Url == parts[0] && (parts.Length == 1 || m.Measure.Version == parts[1])).ToList();
            if (match.Count == 0) throw NotFound("measureUrl", $"No Measure with url '{url}'");
            match.ForEach(Add);
        }
        foreach (var identifier in input.All("measureIdentifier"))
        {
            var bar = identifier.IndexOf('|');
            var (system, value) = bar < 0 ? (null, identifier) : (identifier[..bar], identifier[(bar + 1)..]);
            var match = catalog.Measures.Where(m => m.Measure.Identifier.Any(i => i.Value == value && (system is null || i.System == system))).ToList();
            if (match.Count == 0) throw NotFound("measureIdentifier", $"No Measure with identifier '{identifier}'");
            match.ForEach(Add);
        }
        var named = chosen.Count > 0;
        if (!named) chosen.AddRange(catalog.Measures);
        var topics = input.All("topic");
        if (topics.Count > 0)
            chosen = chosen.Where(m => m.Measure.Topic.Any(t => topics.Contains(t.Text) || t.Coding.Any(c => topics.Contains(c.Code) || topics.Contains($"{c.System}|{c.Code}")))).ToList();
        if (chosen.Count == 0) throw NotFound(topics.Count > 0 ? "topic" : "measureId", "No Measure on this server matches the request");
        return chosen;
    }

    private static FhirException NotFound(string parameter, string message) => FhirException.Of(404, OperationOutcome.IssueType.NotFound, message, parameter);
}
