using FhirCare.FhirFacade.Rest.Operations;
using FhirCare.FhirFacade.Search;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>The care date of every Patient-compartment type names a real date parameter of that type.</summary>
public sealed class CareDatesTests
{
    private static readonly SearchParameterRegistry Registry = new();
    private static readonly CareDates Dates = new(Registry);

    [Fact]
    public void Every_own_care_date_is_a_date_parameter_of_its_type()
    {
        foreach (var (type, code) in CareDates.OwnParameter.Where(p => p.Value.Length > 0))
        {
            var parameter = Dates.For(type);
            Assert.True(parameter is not null, $"{type}.{code} is not a search parameter");
            Assert.True(parameter.Type == SearchParamType.Date, $"{type}.{code} is a {parameter.Type} parameter");
        }
    }

    [Theory]
    [InlineData("Observation", "http://hl7.org/fhir/SearchParameter/clinical-date")]
    [InlineData("Encounter", "http://hl7.org/fhir/SearchParameter/clinical-date")]
    [InlineData("Procedure", "http://hl7.org/fhir/SearchParameter/clinical-date")]
    [InlineData("Condition", "http://hl7.org/fhir/SearchParameter/Condition-onset-date")]
    [InlineData("MedicationRequest", "http://hl7.org/fhir/SearchParameter/MedicationRequest-authoredon")]
    public void Clinical_date_decides_where_the_type_has_it(string type, string url) =>
        Assert.Equal(url, Dates.For(type)?.Url);

    [Theory]
    [InlineData("Patient")]
    [InlineData("Coverage")]
    [InlineData("EnrollmentRequest")]
    public void Types_without_a_care_date_are_not_filtered(string type)
    {
        Assert.Null(Dates.For(type));
        Assert.Null(Dates.Filter(type, 0, 1));
    }
}
