using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class AnnualWellnessVisitTests
{
    private const string Id = "annual-wellness-visit";

    [Theory]
    [InlineData(Hcpcs, "G0439", "2024-03-01", GapStatus.ClosedGap)]
    [InlineData(Cpt, "99396", "2024-12-31", GapStatus.ClosedGap)]
    [InlineData(Snomed, "162673000", "2024-01-01", GapStatus.ClosedGap)] // Synthea's general examination
    [InlineData(Hcpcs, "G0439", "2023-12-31", GapStatus.OpenGap)]
    [InlineData(Cpt, "99213", "2024-03-01", GapStatus.OpenGap)]         // an ordinary office visit is not a wellness visit
    public void A_wellness_visit_in_the_period(string system, string code, string date, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, MemberBuilder.Woman("1950-02-02").Visit(date, system, code)));

    [Fact]
    public void Adults_only_hospice_excluded_and_prospective_during_the_period()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("2007-01-01")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, MemberBuilder.Woman("2006-12-31")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Woman("1950-02-02").Hospice()));
        Assert.Equal(GapStatus.ProspectiveGap, Status(Id, MemberBuilder.Woman("1950-02-02"), today: new DateOnly(2024, 9, 1)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, MemberBuilder.Woman("1950-02-02").Visit("2024-03-01", Hcpcs, "G0439", Hl7.Fhir.Model.Encounter.EncounterStatus.Cancelled)));
    }
}
