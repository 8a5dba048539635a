using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Outreach;

/// <summary>FHIR dateTimes as instants, for comparing outreach times.</summary>
public static class Instants
{
    /// <summary>A dateTime as an instant; a partial date (YYYY, YYYY-MM, YYYY-MM-DD) as the start of its first day, UTC.</summary>
    public static DateTimeOffset? Of(FhirDateTime? value)
    {
        if (value?.Value is not { } text) return null;
        if (text.Length <= 10)
            return DateOnly.TryParseExact(text.Length switch { 4 => text + "-01-01", 7 => text + "-01", _ => text }, "yyyy-MM-dd", out var day)
                ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;
        return value.TryToDateTimeOffset(out var d) ? d : null;
    }

    /// <summary>The exclusive end of a dateTime's range: the next day, month or year for partial dates.</summary>
    public static DateTimeOffset? EndOf(FhirDateTime? value)
    {
        if (Of(value) is not { } at) return null;
        return value!.Value!.Length switch { 4 => at.AddYears(1), 7 => at.AddMonths(1), 10 => at.AddDays(1), _ => at };
    }
}
