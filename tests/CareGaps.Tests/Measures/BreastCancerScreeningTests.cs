using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class BreastCancerScreeningTests
{
    private const string Id = "breast-cancer-screening";
    private static MemberBuilder Eligible(string birth = "1965-04-12") => MemberBuilder.Woman(birth).Visit();

    [Theory]
    [InlineData("1972-12-31", GapStatus.OpenGap)]       // 52 on the last day of the period
    [InlineData("1973-01-01", GapStatus.NotApplicable)] // still 51 at the end
    [InlineData("1950-01-01", GapStatus.OpenGap)]       // 74 all period... 74 at the end
    [InlineData("1949-12-31", GapStatus.NotApplicable)] // 75 at the end
    public void Age_is_taken_at_the_end_of_the_period(string birth, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible(birth)));

    [Fact]
    public void Men_and_members_without_a_visit_are_not_in_the_population()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1965-04-12").Visit()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1965-04-12")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1965-04-12").Visit(status: Hl7.Fhir.Model.Encounter.EncounterStatus.Cancelled)));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1965-04-12").Visit("2023-12-31")));
    }

    [Theory]
    [InlineData("2022-10-01", GapStatus.ClosedGap)] // October 1 two years before: the first day of the 27 months
    [InlineData("2022-09-30", GapStatus.OpenGap)]
    [InlineData("2024-12-31", GapStatus.ClosedGap)]
    [InlineData("2025-01-01", GapStatus.OpenGap)]
    public void A_mammogram_counts_within_27_months(string date, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible().Observation("24606-6", date)));

    [Fact]
    public void A_mammogram_counts_as_a_procedure_or_report_too_but_not_when_preliminary_or_not_done()
    {
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Procedure(Cpt, "77067", "2024-03-03")));
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Procedure(Snomed, "71651007", "2023-03-03")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "77067", "2024-03-03", Hl7.Fhir.Model.EventStatus.NotDone)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("24606-6", "2024-03-03", status: Hl7.Fhir.Model.ObservationStatus.Preliminary)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("4548-4", "2024-03-03")));
    }

    [Fact]
    public void Exclusions_make_the_member_not_applicable()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Procedure(Snomed, "27865001", "2010-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Condition(Icd10, "Z90.13", "2012-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1958-12-31").Frail().AdvancedIllness()));
    }

    [Fact]
    public void Frailty_with_advanced_illness_excludes_only_from_66_and_needs_both()
    {
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("1959-01-01").Frail().AdvancedIllness())); // 65 at the end
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("1955-01-01").Frail()));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("1955-01-01").AdvancedIllness()));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("1955-01-01").Frail().AdvancedIllness("2022-12-31", abated: "2022-12-31")));
    }

    [Fact]
    public void Evidence_is_reported_against_the_populations_it_supports()
    {
        var result = Evaluate(Id, Eligible().Observation("24606-6", "2024-02-02"));
        Assert.True(result.In("numerator"));
        var mammogram = Assert.Single(result.EvaluatedResources, r => r.Resource.TypeName == "Observation");
        Assert.Equal(["numerator"], mammogram.Populations);
        var visit = Assert.Single(result.EvaluatedResources, r => r.Resource.TypeName == "Encounter");
        Assert.Contains("initial-population", visit.Populations);
    }

    [Fact]
    public void An_open_gap_in_the_current_period_is_prospective()
    {
        Assert.Equal(GapStatus.ProspectiveGap, Status(Id, Eligible(), today: new DateOnly(2024, 6, 1)));
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Observation("24606-6", "2024-02-02"), today: new DateOnly(2024, 6, 1)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible(), today: new DateOnly(2024, 12, 31)));
    }
}
