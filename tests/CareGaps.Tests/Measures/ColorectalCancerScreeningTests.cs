using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class ColorectalCancerScreeningTests
{
    private const string Id = "colorectal-cancer-screening";
    private static MemberBuilder Eligible(string birth = "1960-04-12") => MemberBuilder.Man(birth).Visit();

    [Theory]
    [InlineData("1978-12-31", GapStatus.OpenGap)]       // 46 on the last day
    [InlineData("1979-01-01", GapStatus.NotApplicable)] // 45
    [InlineData("1949-01-01", GapStatus.OpenGap)]       // 75
    [InlineData("1948-12-31", GapStatus.NotApplicable)] // 76
    public void Age_46_to_75_at_the_end(string birth, GapStatus expected) => Assert.Equal(expected, Status(Id, Eligible(birth)));

    // Each numerator path with its look-back: the first day inside the window and the day before it.
    [Theory]
    [InlineData("Observation", Loinc, "2335-8", "2024-01-01", GapStatus.ClosedGap)]       // FOBT: the period
    [InlineData("Observation", Loinc, "2335-8", "2023-12-31", GapStatus.OpenGap)]
    [InlineData("Procedure", Snomed, "104435004", "2024-06-01", GapStatus.ClosedGap)]     // FOBT as Synthea records it
    [InlineData("Observation", Loinc, "77354-9", "2022-01-01", GapStatus.ClosedGap)]      // FIT-DNA: 3 years
    [InlineData("Observation", Loinc, "77354-9", "2021-12-31", GapStatus.OpenGap)]
    [InlineData("Procedure", Cpt, "74263", "2020-01-01", GapStatus.ClosedGap)]            // CT colonography: 5 years
    [InlineData("Procedure", Cpt, "74263", "2019-12-31", GapStatus.OpenGap)]
    [InlineData("Procedure", Cpt, "45330", "2020-01-01", GapStatus.ClosedGap)]            // flexible sigmoidoscopy: 5 years
    [InlineData("Procedure", Cpt, "45330", "2019-12-31", GapStatus.OpenGap)]
    [InlineData("Procedure", Snomed, "73761001", "2015-01-01", GapStatus.ClosedGap)]      // colonoscopy: 10 years
    [InlineData("Procedure", Snomed, "73761001", "2014-12-31", GapStatus.OpenGap)]
    [InlineData("Procedure", Cpt, "45378", "2024-12-31", GapStatus.ClosedGap)]
    [InlineData("Procedure", Cpt, "45378", "2025-01-01", GapStatus.OpenGap)]
    public void Every_screening_path_has_its_own_window(string type, string system, string code, string date, GapStatus expected)
    {
        var member = Eligible();
        if (type == "Observation") member.Observation(code, date); else member.Procedure(system, code, date);
        Assert.Equal(expected, Status(Id, member));
    }

    [Fact]
    public void Cancelled_or_not_done_procedures_do_not_count()
    {
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "45378", "2020-01-01", Hl7.Fhir.Model.EventStatus.Stopped)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "45378", "2020-01-01", Hl7.Fhir.Model.EventStatus.NotDone)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("2335-8", "2024-03-01", status: Hl7.Fhir.Model.ObservationStatus.Cancelled)));
    }

    [Fact]
    public void Colorectal_cancer_total_colectomy_hospice_palliative_frailty_exclude()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Condition(Icd10, "C18.7", "2019-05-01", "2020-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Procedure(Cpt, "44150", "2001-05-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1955-01-01").Frail().AdvancedIllness()));
        // A diagnosis entered in error or refuted is no evidence.
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Condition(Icd10, "C18.7", "2019-05-01", verification: "entered-in-error")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Condition(Icd10, "C18.7", "2019-05-01", verification: "refuted")));
        // A colectomy after the period has not happened yet as far as the period is concerned.
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "44150", "2025-02-01")));
    }

    [Fact]
    public void Gap_closes_when_evidence_arrives()
    {
        var member = Eligible();
        Assert.Equal(GapStatus.OpenGap, Status(Id, member));
        member.Procedure(Cpt, "45378", "2018-07-01");
        Assert.Equal(GapStatus.ClosedGap, Status(Id, member));
    }
}
