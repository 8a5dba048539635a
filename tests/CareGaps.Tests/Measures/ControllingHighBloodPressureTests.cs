using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class ControllingHighBloodPressureTests
{
    private const string Id = "controlling-high-blood-pressure";
    private static MemberBuilder Eligible(string birth = "1960-04-12", string onset = "2018-01-01") =>
        MemberBuilder.Man(birth).Visit().Condition(Snomed, "59621000", onset);

    [Theory]
    [InlineData(138, 88, GapStatus.ClosedGap)]
    [InlineData(140, 80, GapStatus.OpenGap)]
    [InlineData(130, 90, GapStatus.OpenGap)]
    [InlineData(139, 89, GapStatus.ClosedGap)]
    public void Below_140_over_90(int systolic, int diastolic, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible().BloodPressure("2024-06-01", systolic, diastolic)));

    [Fact]
    public void The_most_recent_reading_counts()
    {
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().BloodPressure("2024-02-01", 150, 95).BloodPressure("2024-11-01", 128, 78)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().BloodPressure("2024-11-01", 150, 95).BloodPressure("2024-02-01", 128, 78)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible()));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().BloodPressure("2024-06-01", 120, 70, Hl7.Fhir.Model.ObservationStatus.Preliminary)));
    }

    [Theory]
    [InlineData("2024-06-30", GapStatus.OpenGap)]       // diagnosed on the last day of the first six months
    [InlineData("2024-07-01", GapStatus.NotApplicable)] // diagnosed after them
    public void Hypertension_must_be_present_in_the_first_six_months(string onset, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible(onset: onset)));

    [Fact]
    public void Hypertension_resolved_before_the_period_does_not_count() =>
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1960-04-12").Visit().Condition(Icd10, "I10", "2015-01-01", "2023-12-31")));

    [Fact]
    public void Exclusions()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Condition(Icd10, "N18.6", "2020-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Procedure(Snomed, "302497006", "2024-03-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1990-01-01").Visit().Condition(Snomed, "59621000", "2018-01-01").Condition(Snomed, "72892002", "2024-04-01", "2024-12-20")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1943-12-31").Frail()));               // 81 and frail
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("1944-01-01").Frail()));                     // 80 and frail, no advanced illness
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1944-01-01").Frail().AdvancedIllness()));
    }

    [Theory]
    [InlineData("2006-12-31", GapStatus.OpenGap)]       // 18
    [InlineData("2007-01-01", GapStatus.NotApplicable)] // 17
    [InlineData("1939-01-01", GapStatus.OpenGap)]       // 85
    [InlineData("1938-12-31", GapStatus.NotApplicable)] // 86
    public void Age_18_to_85(string birth, GapStatus expected) => Assert.Equal(expected, Status(Id, Eligible(birth)));
}
