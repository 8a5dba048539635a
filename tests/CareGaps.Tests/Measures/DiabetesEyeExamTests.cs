using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class DiabetesEyeExamTests
{
    private const string Id = "diabetes-eye-exam";
    private static MemberBuilder Eligible(string birth = "1970-04-12") => MemberBuilder.Woman(birth).Visit().Diabetic();

    [Theory]
    [InlineData("2024-01-01", GapStatus.ClosedGap)]
    [InlineData("2024-12-31", GapStatus.ClosedGap)]
    [InlineData("2023-01-01", GapStatus.ClosedGap)] // the year before, no retinopathy
    [InlineData("2022-12-31", GapStatus.OpenGap)]
    public void Exam_in_the_period_or_a_negative_exam_the_year_before(string date, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible().Procedure(Cpt, "92014", date)));

    [Fact]
    public void A_prior_year_exam_does_not_count_with_retinopathy_but_one_in_the_period_does()
    {
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "92014", "2023-05-01").Condition(Snomed, "1551000119108", "2023-05-01")));
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Procedure(Cpt, "92014", "2024-05-01").Condition(Snomed, "1551000119108", "2023-05-01")));
    }

    [Fact]
    public void Exclusions_and_population()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1955-01-01").Frail().AdvancedIllness()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1970-04-12").Visit()));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "92014", "2024-05-01", Hl7.Fhir.Model.EventStatus.NotDone)));
    }
}
