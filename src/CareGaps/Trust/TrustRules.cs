namespace FhirCare.CareGaps.Trust;

/// <summary>
/// The configurable thresholds of the trust-stage rule set (configuration section <c>Outreach:Trust</c>; the rules
/// themselves are in <see cref="TrustAssessor"/> and docs/outreach.md).
/// </summary>
public sealed class TrustRules
{
    /// <summary>Caution: at least this many two-way contacts (the member answered or wrote).</summary>
    public int CautionContacts { get; set; } = 2;

    /// <summary>Consistency: at least this many personalised two-way contacts at the preferred channel within <see cref="ConsistencyWindowDays"/>.</summary>
    public int ConsistencyContacts { get; set; } = 3;

    public int ConsistencyWindowDays { get; set; } = 120;

    /// <summary>Commitment: the first committing act is at least this old…</summary>
    public int CommitmentAfterDays { get; set; } = 180;

    /// <summary>…the member had a two-way contact within this many days, and a gap closed since the committing act.</summary>
    public int EngagedWithinDays { get; set; } = 90;

    /// <summary>Long silence: no two-way contact for this many days steps the member back one stage (twice as long: two).</summary>
    public int SilenceDays { get; set; } = 180;

    /// <summary>A complaint, an opt-out or outreach against the member's preferences within this many days steps back one stage each.</summary>
    public int SetbackDays { get; set; } = 90;

    public static TrustRules Default => new();
}
