using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

/// <summary>CMS122 is an inverse measure: the numerator (poor control) is the gap.</summary>
public sealed class DiabetesHbA1cPoorControlTests
{
    private const string Id = "diabetes-hba1c-poor-control";
    private static MemberBuilder Eligible(string birth = "1970-04-12") => MemberBuilder.Man(birth).Visit().Diabetic();

    [Fact]
    public void The_measure_is_inverse() => Assert.True(Catalog.Find(Id)!.Inverse);

    [Theory]
    [InlineData(9.5, GapStatus.OpenGap)]
    [InlineData(9.0, GapStatus.ClosedGap)] // "> 9%": exactly 9 is not poor control
    [InlineData(9.01, GapStatus.OpenGap)]
    [InlineData(6.8, GapStatus.ClosedGap)]
    public void The_most_recent_value_decides(decimal value, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible().Observation("4548-4", "2024-05-01", value)));

    [Fact]
    public void Only_the_most_recent_reading_counts()
    {
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Observation("4548-4", "2024-02-01", 11).Observation("4548-4", "2024-09-01", 7.5m)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("4548-4", "2024-09-01", 9.8m).Observation("4548-4", "2024-02-01", 7.5m)));
        // A reading after the period is not the most recent one in it.
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Observation("4548-4", "2024-09-01", 7.5m).Observation("4548-4", "2025-01-02", 12)));
    }

    [Fact]
    public void No_test_or_no_result_is_poor_control()
    {
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible()));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("4548-4", "2024-05-01")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("4548-4", "2023-12-31", 6.5m)));
        // A preliminary result is not a result: it is as if there were none.
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Observation("4548-4", "2024-05-01", 6.5m, Hl7.Fhir.Model.ObservationStatus.Preliminary)));
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Observation("4548-4", "2024-05-01", 6.5m, Hl7.Fhir.Model.ObservationStatus.Amended)));
    }

    [Fact]
    public void Population_needs_diabetes_during_the_period_and_age_18_to_75()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1970-04-12").Visit()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1970-04-12").Visit().Condition(Snomed, "44054006", "2015-01-01", "2023-12-31")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, MemberBuilder.Man("1970-04-12").Visit().Condition(Icd10, "E11.9", "2024-12-31")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("2007-01-01")));  // 17 at the end
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("2006-12-31")));        // 18 on the last day
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1948-12-31"))); // 76
    }

    [Fact]
    public void Exclusions()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("1950-01-01").Frail().AdvancedIllness()));
    }

    [Fact]
    public void A_new_good_result_closes_the_gap()
    {
        var member = Eligible().Observation("4548-4", "2024-03-01", 10.2m);
        Assert.Equal(GapStatus.OpenGap, Status(Id, member));
        member.Observation("4548-4", "2024-10-01", 7.9m);
        Assert.Equal(GapStatus.ClosedGap, Status(Id, member));
    }
}
