using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Trust;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCare.CareGaps.Scorecard;

/// <summary>
/// The plan's scorecard over a period (seeds 003 and 004), built one member at a time so the population is never held
/// in memory: <see cref="Add"/> each member with their record (Communications, Tasks, CarePlans, EpisodeOfCare,
/// Coverage, trust-stage change Observations), then <see cref="Reports"/> gives one population MeasureReport per
/// metric, stratified as asked (risk-tier, line-of-business, vendor). Each metric's definition: docs/outreach.md and
/// its Measure. Not thread-safe: add members from one thread.
/// </summary>
public sealed class Scorecard
{
    public static readonly IReadOnlyList<string> Stratifiers = ["risk-tier", "line-of-business", "vendor"];

    private readonly DateTimeOffset _from, _to;
    private readonly DateOnly _start, _end;
    private readonly IReadOnlyList<string> _stratifiers;
    private readonly Dictionary<(string Metric, string Group, string? Stratifier, string? Stratum), Cell> _cells = [];

    private sealed class Cell
    {
        public readonly Dictionary<string, long> Counts = new(StringComparer.Ordinal);
        public readonly List<double> Observations = [];
        public readonly HashSet<string> Owners = new(StringComparer.Ordinal);
    }

    public Scorecard(DateOnly start, DateOnly end, IReadOnlyList<string> stratifiers)
    {
        if (end < start) throw new ArgumentException($"periodEnd {end:yyyy-MM-dd} is before periodStart {start:yyyy-MM-dd}");
        (_start, _end, _stratifiers) = (start, end, stratifiers);
        _from = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        _to = new DateTimeOffset(end.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }

    public double Months => (_end.DayNumber - _start.DayNumber + 1) / (365.25 / 12);

    private bool InPeriod(DateTimeOffset? when) => when is { } w && w >= _from && w < _to;

    public void Add(Patient patient, IReadOnlyList<Resource> record)
    {
        var tier = TaskAssignment.RiskTierOf(patient) ?? "unknown";
        var risk = tier == "high" ? "high-risk" : "low-risk";
        var tasks = record.OfType<FhirTask>().ToList();
        var strata = new Dictionary<string, string>
        {
            ["risk-tier"] = tier,
            ["line-of-business"] = LineOfBusiness(record.OfType<Coverage>()),
            ["vendor"] = Vendor(tasks),
        };
        void Count(ScorecardMetric m, string group, string population, long n = 1) => Each(m, group, strata, c => c.Counts[population] = c.Counts.GetValueOrDefault(population) + n);

        var attempts = record.OfType<Communication>().Select(OutreachAttempt.Of).OfType<OutreachAttempt>()
            .Where(a => a.Communication.Status != EventStatus.EnteredInError).ToList();
        var inPeriod = attempts.Where(a => InPeriod(a.When)).ToList();
        var outbound = inPeriod.Where(a => !a.Inbound).ToList();

        Member(ScorecardMetric.ContactRate, "all", inPeriod.Any(a => a.TwoWay));
        Member(ScorecardMetric.HraOutreach, "all", outbound.Any(a => a.Channels.Contains(Channel.Phone) && a.HasTopic("health-risk-assessment")));
        Member(ScorecardMetric.Personalised, "all", outbound.Any(a => a.Personalised));
        Member(ScorecardMetric.CareManagement, "all", InCareManagement(record));

        Count(ScorecardMetric.ContactAttempts, risk, "initial-population");
        Count(ScorecardMetric.ContactAttempts, risk, "denominator");
        if (outbound.Count > 0) Count(ScorecardMetric.ContactAttempts, risk, "numerator", outbound.Count);

        var managers = tasks.Where(ActiveInPeriod).Select(t => t.Owner?.Reference)
            .Where(o => o is not null && (o.StartsWith("Practitioner/", StringComparison.Ordinal) || o.StartsWith("PractitionerRole/", StringComparison.Ordinal)))
            .OfType<string>().Distinct().ToList();
        if (managers.Count > 0)
        {
            Count(ScorecardMetric.CaseLoad, risk, "numerator");
            Each(ScorecardMetric.CaseLoad, risk, strata, c => c.Owners.UnionWith(managers));
        }

        foreach (var (metric, topic) in new[] { (ScorecardMetric.PcpAppointments, "pcp-appointment"), (ScorecardMetric.Transportation, "transportation") })
        {
            var done = tasks.Count(t => t.Status == FhirTask.TaskStatus.Completed && HasCode(t.Code, topic) && InPeriod(Instants.Of(t.ExecutionPeriod?.EndElement)));
            if (done > 0) { Count(metric, "all", "initial-population", done); Count(metric, "all", "numerator", done); }
        }

        foreach (var inbound in inPeriod.Where(a => a.Inbound && a.Outcome != Outcome.OptedOut))
        {
            Count(ScorecardMetric.Responsiveness, "all", "initial-population");
            var answer = attempts.Where(a => !a.Inbound && a.When >= inbound.When && a.Communication.InResponseTo.Any(r => r.Reference == $"Communication/{inbound.Id}"))
                .OrderBy(a => a.When).FirstOrDefault();
            if (answer is null) { Count(ScorecardMetric.Responsiveness, "all", "measure-population-exclusion"); continue; }
            Count(ScorecardMetric.Responsiveness, "all", "measure-population");
            var hours = (answer.When!.Value - inbound.When!.Value).TotalHours;
            Each(ScorecardMetric.Responsiveness, "all", strata, c => c.Observations.Add(hours));
        }

        Count(ScorecardMetric.TrustDistribution, TrustStageCodes.Of(patient) ?? "none", "initial-population");
        foreach (var change in record.OfType<Observation>().Where(TrustStageCodes.IsChange))
        {
            if (!InPeriod(Instants.Of(change.Effective as FhirDateTime))) continue;
            var (from, to) = TrustStageCodes.Change(change);
            var group = TrustStageCodes.Order(to) >= TrustStageCodes.Order(from) ? "forward" : "back";
            var transition = $"{from ?? "none"}->{to ?? "none"}";
            Each(ScorecardMetric.TrustTransitions, group, strata, c => c.Counts["initial-population"] = c.Counts.GetValueOrDefault("initial-population") + 1,
                ("transition", transition));
        }

        void Member(ScorecardMetric m, string group, bool numerator)
        {
            Count(m, group, "initial-population");
            Count(m, group, "denominator");
            if (numerator) Count(m, group, "numerator");
        }
    }

    private void Each(ScorecardMetric m, string group, IReadOnlyDictionary<string, string> strata, Action<Cell> change, (string Stratifier, string Value)? own = null)
    {
        change(CellOf(m.Id, group, null, null));
        foreach (var s in _stratifiers) change(CellOf(m.Id, group, s, strata[s]));
        if (own is { } o) change(CellOf(m.Id, group, o.Stratifier, o.Value));
    }

    private Cell CellOf(string metric, string group, string? stratifier, string? stratum)
    {
        if (!_cells.TryGetValue((metric, group, stratifier, stratum), out var cell)) _cells[(metric, group, stratifier, stratum)] = cell = new Cell();
        return cell;
    }

    /// <summary>One population MeasureReport per metric (MeasureReport.type summary).</summary>
    public IReadOnlyList<MeasureReport> Reports(ResourceReference reporter, DateTimeOffset now, IReadOnlyList<ScorecardMetric>? metrics = null) =>
        (metrics ?? ScorecardMetric.All).Select(m => Report(m, reporter, now)).ToList();

    private MeasureReport Report(ScorecardMetric m, ResourceReference reporter, DateTimeOffset now)
    {
        var report = new MeasureReport
        {
            Id = m.Id,
            Status = MeasureReport.MeasureReportStatus.Complete,
            Type = MeasureReport.MeasureReportType.Summary,
            Measure = m.Url,
            DateElement = new FhirDateTime(now),
            Reporter = reporter,
            Period = new Period { Start = _start.ToString("yyyy-MM-dd"), End = _end.ToString("yyyy-MM-dd") },
        };
        foreach (var group in m.Groups)
        {
            var total = _cells.GetValueOrDefault((m.Id, group, null, null)) ?? new Cell();
            var g = new MeasureReport.GroupComponent { Code = new CodeableConcept { Text = group }, Population = Populations(m, total), MeasureScore = Score(m, total) };
            var stratifiers = _stratifiers.Concat(m == ScorecardMetric.TrustTransitions ? ["transition"] : []);
            foreach (var s in stratifiers)
            {
                var strata = _cells.Where(c => c.Key.Metric == m.Id && c.Key.Group == group && c.Key.Stratifier == s).OrderBy(c => c.Key.Stratum, StringComparer.Ordinal).ToList();
                g.Stratifier.Add(new MeasureReport.StratifierComponent
                {
                    Code = [new CodeableConcept { Text = s }],
                    Stratum = strata.Select(c => new MeasureReport.StratifierGroupComponent
                    {
                        Value = new CodeableConcept { Text = c.Key.Stratum },
                        Population = Populations(m, c.Value).Select(p => new MeasureReport.StratifierGroupPopulationComponent { Code = p.Code, Count = p.Count }).ToList(),
                        MeasureScore = Score(m, c.Value),
                    }).ToList(),
                });
            }
            report.Group.Add(g);
        }
        return report;
    }

    private static readonly Dictionary<Scoring, string[]> PopulationCodes = new()
    {
        [Scoring.Proportion] = ["initial-population", "denominator", "numerator"],
        [Scoring.RatePerMemberMonth] = ["initial-population", "denominator", "numerator"],
        [Scoring.PerOwner] = ["numerator", "denominator"],
        [Scoring.Count] = ["initial-population"],
        [Scoring.MedianHours] = ["initial-population", "measure-population", "measure-population-exclusion"],
    };

    private static List<MeasureReport.PopulationComponent> Populations(ScorecardMetric m, Cell cell) =>
        PopulationCodes[m.Scoring].Select(code => new MeasureReport.PopulationComponent
        {
            Code = new CodeableConcept("http://terminology.hl7.org/CodeSystem/measure-population", code),
            Count = (int)(m.Scoring == Scoring.PerOwner && code == "denominator" ? cell.Owners.Count : cell.Counts.GetValueOrDefault(code)),
        }).ToList();

    private Quantity? Score(ScorecardMetric m, Cell cell)
    {
        long N(string code) => cell.Counts.GetValueOrDefault(code);
        decimal? value = m.Scoring switch
        {
            Scoring.Proportion => N("denominator") == 0 ? null : Math.Round((decimal)N("numerator") / N("denominator"), 4),
            Scoring.RatePerMemberMonth => N("denominator") == 0 ? null : Math.Round((decimal)(N("numerator") / (N("denominator") * Months)), 4),
            Scoring.PerOwner => cell.Owners.Count == 0 ? null : Math.Round((decimal)N("numerator") / cell.Owners.Count, 2),
            Scoring.Count => N("initial-population"),
            _ => Median(cell.Observations) is { } median ? Math.Round((decimal)median, 2) : null,
        };
        if (value is null) return null;
        return m.Scoring == Scoring.MedianHours ? new Quantity(value.Value, "h", "http://unitsofmeasure.org") { Unit = "h" } : new Quantity { Value = value };
    }

    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private bool ActiveInPeriod(FhirTask t)
    {
        if (t.Status is FhirTask.TaskStatus.Cancelled or FhirTask.TaskStatus.Rejected or FhirTask.TaskStatus.EnteredInError or FhirTask.TaskStatus.Draft or null) return false;
        if (Instants.Of(t.AuthoredOnElement) is { } authored && authored >= _to) return false;
        if (TaskTransitions.IsFinal(t.Status.Value) && (Instants.Of(t.ExecutionPeriod?.EndElement) ?? Instants.Of(t.LastModifiedElement)) is { } ended && ended < _from) return false;
        return true;
    }

    private bool InCareManagement(IReadOnlyList<Resource> record) =>
        record.OfType<EpisodeOfCare>().Any(e => e.Status is EpisodeOfCare.EpisodeOfCareStatus.Active or EpisodeOfCare.EpisodeOfCareStatus.Finished && Overlaps(e.Period))
        || record.OfType<CarePlan>().Any(p => p.Status is RequestStatus.Active or RequestStatus.Completed && Overlaps(p.Period));

    /// <summary>Whether a period (dates mean whole days: an end of 2024-12-31 lasts until that day is over) overlaps the reporting period.</summary>
    private bool Overlaps(Period? period) =>
        period?.StartElement is { } start && Instants.Of(start) is { } from && from < _to
        && (period.EndElement is not { } end || Instants.EndOf(end) is not { } until || until > _from);

    private static string LineOfBusiness(IEnumerable<Coverage> coverages) =>
        coverages.Where(c => c.Status == FinancialResourceStatusCodes.Active).Select(c => c.Type?.Coding.FirstOrDefault()?.Code ?? c.Type?.Text).FirstOrDefault(t => t is not null) ?? "unknown";

    /// <summary>The Organization owning the member's most recently authored Task (the vendor working the member), else none.</summary>
    private static string Vendor(IEnumerable<FhirTask> tasks) =>
        tasks.Where(t => t.Owner?.Reference?.StartsWith("Organization/", StringComparison.Ordinal) == true)
            .OrderByDescending(t => t.AuthoredOn, StringComparer.Ordinal).Select(t => t.Owner!.Reference).FirstOrDefault() ?? "none";

    private static bool HasCode(CodeableConcept? concept, string code) =>
        concept?.Coding.Any(c => c.System == OutreachCodes.TopicSystem && c.Code == code) == true;
}
