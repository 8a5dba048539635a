using FhirCare.CareGaps.Measures;
using static FhirCare.CareGaps.Tests.Measures.Measures;

namespace FhirCare.CareGaps.Tests.Measures;

public sealed class AdultInfluenzaImmunizationTests
{
    private const string Id = "adult-influenza-immunization";
    private static MemberBuilder Eligible(string birth = "1980-04-12") => MemberBuilder.Man(birth).Visit();

    [Theory]
    [InlineData("2023-07-01", GapStatus.ClosedGap)] // July 1 before the period
    [InlineData("2023-06-30", GapStatus.OpenGap)]
    [InlineData("2024-06-30", GapStatus.ClosedGap)] // June 30 of the period
    [InlineData("2024-07-01", GapStatus.OpenGap)]   // counts for the next season
    public void Vaccine_between_July_1_and_June_30(string date, GapStatus expected) =>
        Assert.Equal(expected, Status(Id, Eligible().Immunization("140", date)));

    [Fact]
    public void Administration_procedures_count_and_not_done_immunizations_do_not()
    {
        Assert.Equal(GapStatus.ClosedGap, Status(Id, Eligible().Procedure(Cpt, "90686", "2023-10-15")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Immunization("140", "2023-10-15", Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.NotDone)));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible().Immunization("113", "2023-10-15"))); // Td, not influenza
    }

    [Fact]
    public void Adults_from_19_with_a_visit_and_not_in_hospice()
    {
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible("2006-01-01")));
        Assert.Equal(GapStatus.OpenGap, Status(Id, Eligible("2005-12-31")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, MemberBuilder.Man("1980-04-12")));
        Assert.Equal(GapStatus.NotApplicable, Status(Id, Eligible().Hospice()));
    }
}
