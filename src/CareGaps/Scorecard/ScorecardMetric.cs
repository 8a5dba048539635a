namespace FhirCare.CareGaps.Scorecard;

/// <summary>How a metric's score is computed from its populations (MeasureReport.group.measureScore).</summary>
public enum Scoring
{
    /// <summary>numerator / denominator (a fraction 0..1).</summary>
    Proportion,
    /// <summary>numerator / (denominator × months in the period): per member per month.</summary>
    RatePerMemberMonth,
    /// <summary>numerator / the number of distinct owners (case managers).</summary>
    PerOwner,
    /// <summary>the numerator count itself.</summary>
    Count,
    /// <summary>the median of the observations (hours).</summary>
    MedianHours,
}

/// <summary>
/// One scorecard metric: the id of its Measure (profiles/scorecard/Measure-[id].json, which holds the full
/// definition), its groups (e.g. high-risk and low-risk) and how it is scored. Definitions: docs/outreach.md.
/// </summary>
public sealed record ScorecardMetric(string Id, string Title, Scoring Scoring, IReadOnlyList<string> Groups)
{
    public const string CanonicalBase = "https://fhircare.org/fhir/Measure/";
    public string Url => CanonicalBase + Id;

    public static readonly ScorecardMetric ContactRate = new("scorecard-contact-rate", "Contact rate", Scoring.Proportion, ["all"]);
    public static readonly ScorecardMetric HraOutreach = new("scorecard-hra-outreach", "Members called for a health risk assessment", Scoring.Proportion, ["all"]);
    public static readonly ScorecardMetric ContactAttempts = new("scorecard-contact-attempts", "Contact attempts per member per month", Scoring.RatePerMemberMonth, ["high-risk", "low-risk"]);
    public static readonly ScorecardMetric Personalised = new("scorecard-personalised-outreach", "Members receiving personalised outreach", Scoring.Proportion, ["all"]);
    public static readonly ScorecardMetric CaseLoad = new("scorecard-members-per-case-manager", "Members per case manager", Scoring.PerOwner, ["high-risk", "low-risk"]);
    public static readonly ScorecardMetric CareManagement = new("scorecard-care-management", "Members in care-management programmes", Scoring.Proportion, ["all"]);
    public static readonly ScorecardMetric PcpAppointments = new("scorecard-pcp-appointments", "PCP appointments scheduled by the plan", Scoring.Count, ["all"]);
    public static readonly ScorecardMetric Transportation = new("scorecard-transportation", "Transportation facilitated", Scoring.Count, ["all"]);
    public static readonly ScorecardMetric Responsiveness = new("scorecard-responsiveness", "Responsiveness: median hours to answer an inbound member contact", Scoring.MedianHours, ["all"]);
    public static readonly ScorecardMetric TrustDistribution = new("scorecard-trust-stage-distribution", "Trust-stage distribution", Scoring.Count,
        ["none", "connection", "caution", "consistency", "courage", "commitment"]);
    public static readonly ScorecardMetric TrustTransitions = new("scorecard-trust-stage-transitions", "Trust-stage transitions", Scoring.Count, ["forward", "back"]);

    public static readonly IReadOnlyList<ScorecardMetric> All =
        [ContactRate, HraOutreach, ContactAttempts, Personalised, CaseLoad, CareManagement, PcpAppointments, Transportation, Responsiveness, TrustDistribution, TrustTransitions];
}
