using System.Globalization;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Date parameters (search.html#date, #prefix) over date (Patient.birthDate), dateTime (Observation.effective,
/// Immunization.occurrence), Period (Encounter.period, Procedure.performed, CarePlan.period, MeasureReport.period) and
/// instant (DiagnosticReport.issued, AuditEvent.recorded, Provenance.recorded), at year, month, day, second and
/// millisecond precision, with every prefix. Each value, in the resource and in the query, stands for the range its
/// precision implies; a Period is the range from its start to its end, open where either is missing.
/// </summary>
public sealed class DateSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    [Theory]
    [InlineData("Patient", "birthdate=1974-12-25", "example ch-example")]
    [InlineData("Patient", "birthdate=1974", "example ch-example")]
    [InlineData("Patient", "birthdate=1974-12", "example ch-example")]
    [InlineData("Patient", "birthdate=lt1944-11-17", "glossy xcda")]
    [InlineData("Patient", "birthdate=le1944-11-17", "f001 glossy xcda")]
    [InlineData("Patient", "birthdate=sa2017-05-15", "newborn 8a4c9c04")]
    [InlineData("Patient", "birthdate=eb1932-09-25", "glossy xcda")]
    [InlineData("Patient", "birthdate=eb1932-09-24", "")]
    [InlineData("Patient", "birthdate=gt2017", "8a4c9c04")]
    [InlineData("Patient", "birthdate=ge2017", "infant-twin-1 infant-twin-2 newborn 8a4c9c04")]
    [InlineData("Patient", "birthdate=ge2021-04-03T00:00:00Z", "8a4c9c04")]
    [InlineData("Patient", "birthdate=le2021-04-03T00:00:00Z", "example ch-example f001 f201 genetics-example1 glossy infant-mom infant-twin-1 infant-twin-2 mom newborn pat3 pat4 proband xcda xds animal")]
    [InlineData("Patient", "birthdate=2021-04-03T00:00:00Z", "")]
    [InlineData("Patient", "birthdate=ge1970&birthdate=lt1980", "example ch-example genetics-example1 mom")]
    [InlineData("Patient", "birthdate=1932,2017", "glossy xcda infant-twin-1 infant-twin-2 newborn")]
    [InlineData("Patient", "birthdate:missing=true", "dicom ihe-pcd infant-fetal pat1 pat2")]
    [InlineData("Patient", "death-date=2015-02-14", "pat3")]
    [InlineData("Patient", "death-date=2015-02-14T13:42:00+10:00", "pat3")]
    [InlineData("Patient", "death-date=lt2015-02-14T13:42:00+10:00", "")]
    [InlineData("Observation", "value-date=2016-12", "date-lastmp")]
    [InlineData("Observation", "value-date=gt2016-12-29", "date-lastmp")]
    [InlineData("Observation", "value-date=sa2016-12-30", "")]
    [InlineData("Observation", "code-value-date=http://loinc.org|8665-2$2016-12-30", "date-lastmp")]
    [InlineData("Observation", "code-value-date=http://loinc.org|8665-2$lt2016", "")]
    [InlineData("Encounter", "date=2021-04-03", "679146c3")]
    [InlineData("Encounter", "date=2021-04-03T08:10:00+02:00", "")]
    [InlineData("Encounter", "date=gt2021-05-08T08:10:00+02:00", "emerg 41560e10 4a8d5530")]
    [InlineData("Encounter", "date=sa2021-05-08T08:10:00+02:00", "4a8d5530")]
    [InlineData("Encounter", "date=lt2013-03-15", "f203")]
    [InlineData("Encounter", "date=eb2013-03-15", "")]
    [InlineData("Encounter", "date=eb2015-01-18", "f203 home")]
    [InlineData("Encounter", "date=2013-03", "f203")]
    [InlineData("Encounter", "date=2015-01-17", "home")]
    [InlineData("Encounter", "date=2017", "")]
    [InlineData("Encounter", "date=ge2017", "emerg 679146c3 41560e10 4a8d5530")]
    [InlineData("Encounter", "date:missing=true", "example f001 f002 f003 f201 f202 xcda")]
    [InlineData("Procedure", "date=2013-03-08", "f002")]
    [InlineData("Procedure", "date=2013-03", "f002 f003 f004")]
    [InlineData("Procedure", "date:missing=true", "ambulation appendectomy-narrative colon-biopsy colonoscopy")]
    [InlineData("CarePlan", "date=lt1990", "example")]
    [InlineData("CarePlan", "date=2013-03-12", "")]
    [InlineData("CarePlan", "date=2013-03", "f003 f201")]
    [InlineData("Immunization", "date=2021-07-10", "0344678a 26e0927c 1a1f8ce3 f0c78834 028a3e3b")]
    [InlineData("Immunization", "date:missing=true", "historical")]
    [InlineData("DiagnosticReport", "issued=2021-04-03T08:03:00.113+02:00", "9ea63fe3 54ac6ad9")]
    [InlineData("DiagnosticReport", "issued=2021-04-03T06:03:00.113Z", "9ea63fe3 54ac6ad9")]
    [InlineData("DiagnosticReport", "issued=2021-04-03T08:03:00+02:00", "9ea63fe3 54ac6ad9")]
    [InlineData("DiagnosticReport", "issued=2021-04-03T08:03:00.114+02:00", "")]
    [InlineData("DiagnosticReport", "issued=gt2021-05-08T08:03:00.113+02:00", "60bc192f")]
    [InlineData("DiagnosticReport", "issued=ge2021-05-08T08:03:00.113+02:00", "3efe2f24 60bc192f")]
    [InlineData("AuditEvent", "date=2013-06-20T23:42:24Z", "example-rest")]
    [InlineData("AuditEvent", "date=2013-06", "example-login example-logout example-rest")]
    [InlineData("Provenance", "recorded=2021-07", "27000e11")]
    [InlineData("MeasureReport", "period=2014", "measurereport-cms146-cat1-example measurereport-cms146-cat2-example measurereport-cms146-cat3-example")]
    [InlineData("MeasureReport", "period=2014-02", "")]
    [InlineData("Observation", "date=2016-05-18T22:33:22Z", "10minute-apgar-score 1minute-apgar-score 20minute-apgar-score 2minute-apgar-score 5minute-apgar-score secondsmoke vomiting")]
    [InlineData("Observation", "date=2013-04-05", "f005")]
    [InlineData("Observation", "date=ge2013-04-02&date=le2013-04-05", "f001 f002 f003 f004 f005 unsat")]
    public async Task Date_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    private static readonly string[] Prefixes = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

    /// <summary>Search values per parameter, chosen away from midnight in any time zone where they are day-precise.</summary>
    private static readonly (string Type, string Param, string[] Values)[] Matrix =
    [
        ("Patient", "birthdate", ["1974", "1974-12", "1974-12-25", "1982-01-23T00:00:00Z", "2017-05-15"]),
        ("Observation", "date", ["2013", "2013-04", "2013-04-02", "2013-04-02T10:30:10+01:00", "2021-04-03T06:03:00Z", "2016-05-18T22:33:22Z", "1999-07-02"]),
        ("Encounter", "date", ["2013-03", "2013-03-15", "2021-04-03", "2021-04-03T08:10:00+02:00", "2017"]),
        ("Procedure", "date", ["2013-03", "2013-03-08", "2013-03-08T09:15:00+01:00", "2011-06-26"]),
        ("Immunization", "date", ["2021-07-10", "2013", "2021-07-10T08:03:00+02:00"]),
        ("CarePlan", "date", ["2013-03-12", "2013", "2011-06"]),
        ("Condition", "onset-date", ["2013-03", "2012"]),
        ("MeasureReport", "period", ["2014-02", "2014-01-01", "2014"]),
        ("DiagnosticReport", "issued", ["2021-04-03T08:03:00+02:00", "2021-04-03T08:03:00.113+02:00", "2021-05"]),
        ("AuditEvent", "date", ["2013-06", "2013-06-20T23:42:24Z", "2015-08"]),
        ("Provenance", "recorded", ["2016", "2021-07-17T06:03:00Z"]),
    ];

    public static TheoryData<string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (var (type, param, values) in Matrix)
            foreach (var value in values)
                foreach (var prefix in Prefixes)
                    rows.Add(type, param, prefix + value);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Every_prefix_and_precision_matches_the_range_rules(string type, string param, string value)
    {
        var (prefix, literal) = value.Length > 2 && char.IsAsciiLetter(value[0]) ? (value[..2], value[2..]) : ("eq", value);
        var search = Range(literal);
        var query = $"{param}={value}";
        // ne on a resource without the element is not defined by the spec: compare only resources that have one.
        if (prefix == "ne") query += $"&{param}:missing=false";

        await corpus.AssertFindsAsync(type, query, r => Values(type, param, r).Any(target => Satisfies(prefix, target, search)));
    }

    /// <summary>search.html#prefix, for a target range [Start, End) and a search range [Start, End).</summary>
    private static bool Satisfies(string prefix, (DateTimeOffset Start, DateTimeOffset End) target, (DateTimeOffset Start, DateTimeOffset End) search)
    {
        var contained = target.Start >= search.Start && target.End <= search.End;
        return prefix switch
        {
            "eq" => contained,
            "ne" => !contained,
            "gt" => target.End > search.End,
            "lt" => target.Start < search.Start,
            "ge" => target.End > search.End || contained,
            "le" => target.Start < search.Start || contained,
            "sa" => target.Start >= search.End,
            "eb" => target.End <= search.Start,
            // The spec's recommended approximation: 10% of the distance between now and the searched date.
            "ap" => Overlaps(target, Widen(search, TimeSpan.FromTicks(Math.Abs((DateTimeOffset.UtcNow - search.Start).Ticks) / 10))),
            _ => throw new ArgumentException(prefix),
        };
    }

    private static bool Overlaps((DateTimeOffset Start, DateTimeOffset End) a, (DateTimeOffset Start, DateTimeOffset End) b) =>
        a.Start < b.End && b.Start < a.End;

    private static (DateTimeOffset, DateTimeOffset) Widen((DateTimeOffset Start, DateTimeOffset End) r, TimeSpan by) =>
        (r.Start - by, r.End + by);

    /// <summary>The elements each parameter indexes, read from the POCOs (R4 SearchParameter expressions).</summary>
    private static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Values(string type, string param, Resource r)
    {
        DataType? element = (type, param) switch
        {
            ("Patient", "birthdate") => ((Patient)r).BirthDateElement,
            ("Observation", "date") => ((Observation)r).Effective,
            ("Encounter", "date") => ((Encounter)r).Period,
            ("Procedure", "date") => ((Procedure)r).Performed,
            ("Immunization", "date") => ((Immunization)r).Occurrence,
            ("CarePlan", "date") => ((CarePlan)r).Period,
            ("Condition", "onset-date") => ((Condition)r).Onset,
            ("MeasureReport", "period") => ((MeasureReport)r).Period,
            ("DiagnosticReport", "issued") => ((DiagnosticReport)r).IssuedElement,
            ("AuditEvent", "date") => ((AuditEvent)r).RecordedElement,
            ("Provenance", "recorded") => ((Provenance)r).RecordedElement,
            _ => throw new ArgumentException($"{type}.{param}"),
        };
        switch (element)
        {
            case Date { Value: { } d }: yield return Range(d); break;
            case FhirDateTime { Value: { } dt }: yield return Range(dt); break;
            case Instant { Value: { } i }:
                yield return (i, i + (i.Millisecond == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(1)));
                break;
            case Period p when p.Start is not null || p.End is not null:
                yield return (p.Start is null ? DateTimeOffset.MinValue : Range(p.Start).Start, p.End is null ? DateTimeOffset.MaxValue : Range(p.End).End);
                break;
        }
    }

    /// <summary>The range a date, dateTime or instant literal stands for; no time zone means UTC.</summary>
    private static (DateTimeOffset Start, DateTimeOffset End) Range(string literal)
    {
        var inv = CultureInfo.InvariantCulture;
        var utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        switch (literal.Length)
        {
            case 4:
                var year = new DateTimeOffset(int.Parse(literal, inv), 1, 1, 0, 0, 0, TimeSpan.Zero);
                return (year, year.AddYears(1));
            case 7:
                var month = DateTimeOffset.ParseExact(literal, "yyyy-MM", inv, utc);
                return (month, month.AddMonths(1));
            case 10:
                var day = DateTimeOffset.ParseExact(literal, "yyyy-MM-dd", inv, utc);
                return (day, day.AddDays(1));
        }
        var start = DateTimeOffset.Parse(literal, inv, utc);
        var time = literal[11..];
        var zone = time.IndexOfAny(['Z', '+', '-']);
        var clock = zone < 0 ? time : time[..zone];
        var fraction = clock.Contains('.') ? clock[(clock.IndexOf('.') + 1)..].Length : 0;
        var step = clock.Length == 5 ? TimeSpan.FromMinutes(1) : TimeSpan.FromTicks(TimeSpan.TicksPerSecond / (long)Math.Pow(10, fraction));
        return (start, start + step);
    }
}
