namespace FhirCare.CareGaps.Measures;

/// <summary>
/// The period a measure looks at, as whole calendar days (eCQM measurement periods are dates). Evidence dates are
/// compared by the clock date they were recorded with (the date a clinician wrote down), not shifted to UTC.
/// </summary>
public sealed record MeasurementPeriod(DateOnly Start, DateOnly End)
{
    /// <summary>The period must not end before it starts; callers turn this into a 400.</summary>
    public static MeasurementPeriod Of(DateOnly start, DateOnly end) =>
        end < start ? throw new ArgumentException($"periodEnd {end:yyyy-MM-dd} is before periodStart {start:yyyy-MM-dd}") : new(start, end);

    /// <summary>An anchor of a look-back window: the period's start or end shifted by whole years, months or days.</summary>
    internal DateOnly Resolve(WindowAnchor anchor)
    {
        var date = anchor.FromEnd ? End : Start;
        return date.AddYears(anchor.Years).AddMonths(anchor.Months).AddDays(anchor.Days);
    }
}
