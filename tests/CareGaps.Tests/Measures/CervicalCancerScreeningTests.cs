using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class CervicalCancerScreeningTests
{
    private const string Id = "cervical-cancer-screening";
    private static MemberBuilder Eligible(string birth = "1990-04-12") => MemberBuilder.Woman(birth).Visit();

    [Theory]
    [InlineData("2000-12-31", GapStatus.OpenGap)]       // 24 on the last day
    [InlineData("2001-01-01", GapStatus.NotApplicable)]
    [InlineData("1960-01-01", GapStatus.OpenGap)]       // 64
    [InlineData("1959-12-31", GapStatus.NotApplicable)] // 65
    public void Age_24_to_64_at_the_end(string birth, GapStatus expected) => Assert.Equal(expected, Status(Id, Eligible(birth)));

    [Fact]
    public void Men_are_not_in_the_population() => Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1990-04-12").Visit()));

    [Theory]
    [InlineData("2022-01-01", GapStatus.ClosedGap)] // cytology: the period and the 2 years before
    [InlineData("2021-12-31", GapStatus.OpenGap)]
    public void Cytology_every_three_years(string date, GapStatus expected) => Assert.Equal(expected, Status(Id, Eligible().Observation("10524-7", date)));

    [Theory]
    [InlineData("1985-04-12", "2020-01-01", GapStatus.ClosedGap)] // HPV: the period and the 4 years before
    [InlineData("1985-04-12", "2019-12-31", GapStatus.OpenGap)]
    [InlineData("1994-06-01", "2024-05-31", GapStatus.OpenGap)]   // the day before her 30th birthday
    [InlineData("1994-06-01", "2024-06-01", GapStatus.ClosedGap)] // on her 30th birthday
    public void Hpv_testing_every_five_years_from_age_30(string birth, string date, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible(birth).Observation("30167-1", date)));

    [Fact]
    public void Hysterectomy_absence_of_cervix_hospice_and_palliative_care_exclude()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Procedure(Cpt, "58150", "2019-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Condition(Icd10, "Z90.710", "2019-01-01")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Palliative()));
        // A supracervical hysterectomy (cervix left in place) is not in the value set.
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Procedure(Cpt, "58180", "2019-01-01")));
    }
}
