using System.Globalization;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>
/// Date search (search.html#date) over date, dateTime, instant, Period and Timing. Every value is a closed range of
/// UTC ticks given by its precision ("2024" is the whole year); comparators follow the spec's range rules.
/// </summary>
public static class DateParameter
{
    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        switch (value)
        {
            case Period p:
                var start = p.Start is { } s && TryRange(s, out var a, out _) ? a : DateTime.MinValue.Ticks;
                var end = p.End is { } e && TryRange(e, out _, out var b) ? b : DateTime.MaxValue.Ticks;
                if (p.Start is not null || p.End is not null) into.Add(new DateIndexValue(param, start, end));
                break;
            case Timing t:
                foreach (var ev in t.EventElement)
                    if (ev.Value is { } v && TryRange(v, out var lo, out var hi)) into.Add(new DateIndexValue(param, lo, hi));
                break;
            case PrimitiveType { JsonValue: string text } when TryRange(text, out var low, out var high):
                into.Add(new DateIndexValue(param, low, high));
                break;
        }
    }

    public static SearchExpression Parse(string param, string? modifier, string value)
    {
        if (modifier is not null) throw new SearchParseException($"The modifier ':{modifier}' is not supported on date parameters");
        var (comparator, rest) = Prefix.Split(value);
        if (!TryRange(rest, out var start, out var end))
            throw new SearchParseException($"'{value}' is not a valid date search value (yyyy[-mm[-dd[Thh:mm[:ss[.fff]][Z|±hh:mm]]]])");
        return new DateCondition(param, comparator, start, end);
    }

    public static LastUpdatedCondition ParseLastUpdated(string value)
    {
        var condition = (DateCondition)Parse("_lastUpdated", null, value);
        return new LastUpdatedCondition(condition.Comparator, condition.Start, condition.End);
    }

    /// <summary>The implicit range of a FHIR date/dateTime/instant literal, in UTC ticks (inclusive).</summary>
    public static bool TryRange(string text, out long start, out long end)
    {
        start = end = 0;
        if (string.IsNullOrEmpty(text) || text.Length < 4 || !char.IsAsciiDigit(text[0])) return false;
        var inv = CultureInfo.InvariantCulture;
        var styles = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        switch (text.Length)
        {
            case 4 when int.TryParse(text, NumberStyles.None, inv, out var y) && y >= 1:
                var ys = new DateTime(y, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                (start, end) = (ys.Ticks, ys.AddYears(1).Ticks - 1);
                return true;
            case 7 when DateTime.TryParseExact(text, "yyyy-MM", inv, styles, out var m):
                (start, end) = (m.Ticks, m.AddMonths(1).Ticks - 1);
                return true;
            case 10 when DateTime.TryParseExact(text, "yyyy-MM-dd", inv, styles, out var d):
                (start, end) = (d.Ticks, d.AddDays(1).Ticks - 1);
                return true;
        }
        if (text.Length < 16 || text[10] != 'T') return false;
        var local = text.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > 10 ? text : text + "Z"; // no zone: UTC
        if (!DateTimeOffset.TryParse(local, inv, DateTimeStyles.AssumeUniversal, out var dto)) return false;
        var timePart = text[11..];
        var zoneAt = timePart.IndexOfAny(['Z', '+', '-']);
        var clock = zoneAt >= 0 ? timePart[..zoneAt] : timePart;
        var utc = dto.UtcDateTime.Ticks;
        start = utc;
        end = clock.Length switch
        {
            5 => utc + TimeSpan.TicksPerMinute - 1,                         // hh:mm
            8 => utc + TimeSpan.TicksPerSecond - 1,                         // hh:mm:ss
            _ => utc + (long)Math.Pow(10, 7 - Math.Min(7, clock.Length - 9)) - 1, // fractional seconds
        };
        return true;
    }
}

/// <summary>The comparator prefixes shared by date, number and quantity (search.html#prefix).</summary>
public static class Prefix
{
    public static (Comparator Comparator, string Value) Split(string value)
    {
        if (value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]))
        {
            Comparator? c = value[..2] switch
            {
                "eq" => Comparator.Eq, "ne" => Comparator.Ne, "gt" => Comparator.Gt, "lt" => Comparator.Lt,
                "ge" => Comparator.Ge, "le" => Comparator.Le, "sa" => Comparator.Sa, "eb" => Comparator.Eb,
                "ap" => Comparator.Ap, _ => null,
            };
            if (c is null) throw new SearchParseException($"'{value[..2]}' is not a search prefix (eq ne gt lt ge le sa eb ap)");
            return (c.Value, value[2..]);
        }
        return (Comparator.Eq, value);
    }
}
