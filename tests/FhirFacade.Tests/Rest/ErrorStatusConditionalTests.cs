using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>
/// Conditional create, update and delete (http.html#ccreate, #cond-update, #cdelete): several matches are 412, criteria
/// that cannot be resolved strictly are 400; nothing is stored.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorStatusConditionalTests(FhirServer server)
{
    private static HttpRequestMessage Conditional(string interaction, string criteria) => interaction switch
    {
        "create" => Create(HttpMethod.Post, "Patient", PatientJson(), Json, ("If-None-Exist", criteria)),
        "update" => Create(HttpMethod.Put, "Patient" + (criteria.Length == 0 ? "" : "?" + criteria), PatientJson(gender: "male")),
        "delete" => Create(HttpMethod.Delete, "Patient" + (criteria.Length == 0 ? "" : "?" + criteria), null, null),
        _ => throw new ArgumentOutOfRangeException(nameof(interaction)),
    };

    [Theory]
    [InlineData("create")]
    [InlineData("update")]
    [InlineData("delete")]
    public async Task Criteria_matching_several_resources_are_412(string interaction)
    {
        var system = $"urn:test:{Guid.NewGuid():N}";
        await server.CreatePatientAsync(system);
        await server.CreatePatientAsync(system);
        await server.RefusesAsync(Conditional(interaction, $"identifier={Uri.EscapeDataString(system)}|dup"), 412, IssueType.MultipleMatches);
    }

    [Theory]
    [InlineData("create", "colour=blue")]
    [InlineData("update", "colour=blue")]
    [InlineData("delete", "colour=blue")]
    [InlineData("delete", "gender=female&colour=blue")]
    [InlineData("update", "birthdate=notadate")]
    [InlineData("delete", "gender:nonsense=female")]
    public async Task Criteria_with_a_parameter_that_cannot_be_resolved_are_400(string interaction, string criteria)
    {
        await server.CreatePatientAsync();
        await server.RefusesAsync(Conditional(interaction, criteria), 400, IssueType.Invalid);
    }

    [Theory]
    [InlineData("update", "")]
    [InlineData("delete", "")]
    [InlineData("update", "_format=json")]
    [InlineData("delete", "_pretty=true")]
    [InlineData("create", "_format=json")]
    public async Task Empty_criteria_are_400(string interaction, string criteria)
    {
        await server.CreatePatientAsync();
        await server.RefusesAsync(Conditional(interaction, criteria), 400, IssueType.Invalid);
    }

    [Fact]
    public async Task A_conditional_update_whose_body_id_differs_from_the_match_is_400()
    {
        var system = $"urn:test:{Guid.NewGuid():N}";
        await server.CreatePatientAsync(system);
        var other = await server.CreatePatientAsync();
        var request = Create(HttpMethod.Put, $"Patient?identifier={Uri.EscapeDataString(system)}|dup", PatientJson(other.Id, "male"));
        await server.RefusesAsync(request, 400, IssueType.Invalid, "Patient.id");
    }

    [Fact]
    public async Task A_conditional_update_with_a_body_of_another_type_is_400()
    {
        var request = Create(HttpMethod.Put, "Observation?code=1234-5", PatientJson(gender: "male"));
        await server.RefusesAsync(request, 400, IssueType.Invalid);
    }
}
