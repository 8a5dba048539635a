using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>One member's result for one measure over one period.</summary>
public sealed class MeasureResult
{
    public required MeasureDefinition Measure { get; init; }
    public required Member Member { get; init; }
    public required MeasurementPeriod Period { get; init; }
    /// <summary>Population code → whether the member is in it (every population the measure declares).</summary>
    public required IReadOnlyDictionary<string, bool> Populations { get; init; }
    public required GapStatus GapStatus { get; init; }
    /// <summary>The resources that put the member into populations, each with the population codes it supports.</summary>
    public required IReadOnlyList<(Resource Resource, IReadOnlyList<string> Populations)> EvaluatedResources { get; init; }

    public bool In(string population) => Populations.TryGetValue(population, out var v) && v;
}
