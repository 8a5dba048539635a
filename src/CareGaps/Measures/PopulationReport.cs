using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// A summary (population) or subject-list MeasureReport built up one member at a time, so the population never has
/// to be held in memory (subject-list keeps only the member references, in contained Lists).
/// </summary>
public sealed class PopulationReport(MeasureDefinition measure, MeasurementPeriod period, bool subjectList)
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _subjects = new(StringComparer.Ordinal);

    public MeasureDefinition Measure => measure;

    public void Add(MeasureResult result)
    {
        foreach (var (code, inIt) in result.Populations)
        {
            _counts[code] = _counts.GetValueOrDefault(code) + (inIt ? 1 : 0);
            if (!subjectList || !inIt) continue;
            if (!_subjects.TryGetValue(code, out var list)) _subjects[code] = list = [];
            list.Add(result.Member.Id);
        }
    }

    public MeasureReport Build(string id, ResourceReference reporter, DateTimeOffset now)
    {
        var report = MeasureReports.Shell(measure, period,
            subjectList ? MeasureReport.MeasureReportType.SubjectList : MeasureReport.MeasureReportType.Summary, reporter, now);
        report.Id = id;
        var group = report.Group[0];
        foreach (var code in MeasureDefinition.PopulationCodes.Where(measure.Populations.ContainsKey))
        {
            var population = MeasureReports.Population(code, _counts.GetValueOrDefault(code));
            if (subjectList)
            {
                var list = new List
                {
                    Id = $"{code}-subjects",
                    Status = List.ListStatus.Current,
                    Mode = ListMode.Snapshot,
                    Title = $"{measure.Title}: {code}",
                    Entry = _subjects.GetValueOrDefault(code, []).Select(s => new List.EntryComponent { Item = new ResourceReference($"Patient/{s}") }).ToList(),
                };
                report.Contained.Add(list);
                population.SubjectResults = new ResourceReference($"#{list.Id}");
            }
            group.Population.Add(population);
        }
        group.MeasureScore = MeasureReports.Score(_counts.GetValueOrDefault("denominator"),
            _counts.GetValueOrDefault("denominator-exclusion") + _counts.GetValueOrDefault("denominator-exception"), _counts.GetValueOrDefault("numerator"));
        return report;
    }
}
