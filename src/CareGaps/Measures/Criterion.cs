namespace FhirCare.CareGaps.Measures;

/// <summary>Start or end of the measurement period, shifted by whole years, months and days (e.g. start-9y).</summary>
internal sealed record WindowAnchor(bool FromEnd, int Years, int Months, int Days);

internal enum Comparison { Less, LessOrEqual, Greater, GreaterOrEqual, Missing, In }

/// <summary>A test on an evidence resource's value (or the value of its component with this LOINC/SNOMED code).</summary>
internal sealed record EvidenceTest(string? Component, Comparison Comparison, decimal Limit, string? ValueSet);

/// <summary>
/// One declared piece of evidence: resources of <paramref name="ResourceType"/> coded from one of
/// <paramref name="ValueSets"/>, in one of <paramref name="Statuses"/> (empty: the type's default rule), whose date
/// touches the window [<paramref name="From"/>, <paramref name="To"/>] (open ends: no limit). With
/// <paramref name="Latest"/>, only the most recent such resource is tested; otherwise any one passing
/// <paramref name="Tests"/> (and taken at or after <paramref name="MinimumAge"/>) satisfies it.
/// </summary>
internal sealed record Criterion(
    string Name, string ResourceType, IReadOnlyList<string> ValueSets, IReadOnlyList<string> Statuses,
    WindowAnchor? From, WindowAnchor? To, bool Latest, IReadOnlyList<EvidenceTest> Tests, int? MinimumAge);
