using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using TypeLevel = Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction;
using SystemLevel = Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>GET /metadata (http.html#capabilities, capabilitystatement.html): what it claims, and that the claims hold.</summary>
[Collection(ServerCollection.Name)]
public sealed class CapabilityStatementTests(FhirServer server)
{
    private static readonly FhirXmlDeserializer XmlDeserializer = new();

    private async Task<CapabilityStatement> StatementAsync(ResourceFormat format = ResourceFormat.Json)
    {
        var statement = await server.Client(format).CapabilityStatementAsync();
        Assert.NotNull(statement);
        return statement;
    }

    private static CapabilityStatement.ResourceComponent ResourceOf(CapabilityStatement statement, string type) =>
        Assert.Single(Assert.Single(statement.Rest).Resource, r => r.Type == type);

    [Fact]
    public async Task Describes_this_server_as_an_R4_instance_speaking_json_and_xml()
    {
        var statement = await StatementAsync();
        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        Assert.Equal(CapabilityStatementKind.Instance, statement.Kind);
        Assert.Equal(PublicationStatus.Active, statement.Status);
        Assert.False(string.IsNullOrEmpty(statement.Date));
        Assert.NotNull(statement.Software?.Name);
        Assert.NotNull(statement.Implementation?.Description);
        Assert.Contains(statement.Format, f => f is "json" or "application/fhir+json");
        Assert.Contains(statement.Format, f => f is "xml" or "application/fhir+xml");
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, Assert.Single(statement.Rest).Mode);
        Assert.Contains("Store: SQLite. _sort is supported", statement.Rest[0].Documentation);
    }

    [Fact]
    public async Task Lists_each_served_resource_type_once_and_no_abstract_or_endpointless_type()
    {
        var resources = Assert.Single((await StatementAsync()).Rest).Resource;
        var types = resources.Select(r => r.Type).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.Contains("Patient", types);
        Assert.Contains("Observation", types);
        Assert.DoesNotContain("Resource", types);
        Assert.DoesNotContain("DomainResource", types);
        Assert.DoesNotContain("Parameters", types);
        Assert.All(resources, r => Assert.Equal($"http://hl7.org/fhir/StructureDefinition/{r.Type}", r.Profile));
    }

    [Theory]
    [InlineData("Patient")]
    [InlineData("Observation")]
    [InlineData("Practitioner")]
    public async Task Claims_the_mapped_type_interactions_and_versioning(string type)
    {
        var resource = ResourceOf(await StatementAsync(), type);
        TypeLevel[] expected =
        [
            TypeLevel.Read, TypeLevel.Vread, TypeLevel.Update, TypeLevel.Patch, TypeLevel.Delete,
            TypeLevel.HistoryInstance, TypeLevel.HistoryType, TypeLevel.Create, TypeLevel.SearchType,
        ];
        Assert.Equal(expected.Order(), resource.Interaction.Select(i => i.Code!.Value).Order());
        Assert.Equal(CapabilityStatement.ResourceVersionPolicy.VersionedUpdate, resource.Versioning);
        Assert.True(resource.ReadHistory);
        Assert.True(resource.UpdateCreate);
        Assert.True(resource.ConditionalCreate);
        Assert.True(resource.ConditionalUpdate);
        Assert.Equal(CapabilityStatement.ConditionalDeleteStatus.Single, resource.ConditionalDelete);
    }

    [Theory]
    [InlineData("Patient", "name", SearchParamType.String, "http://hl7.org/fhir/SearchParameter/Patient-name")]
    [InlineData("Patient", "family", SearchParamType.String, "http://hl7.org/fhir/SearchParameter/individual-family")]
    [InlineData("Patient", "birthdate", SearchParamType.Date, "http://hl7.org/fhir/SearchParameter/individual-birthdate")]
    [InlineData("Patient", "identifier", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Patient-identifier")]
    [InlineData("Patient", "gender", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/individual-gender")]
    [InlineData("Patient", "general-practitioner", SearchParamType.Reference, "http://hl7.org/fhir/SearchParameter/Patient-general-practitioner")]
    [InlineData("Patient", "_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id")]
    [InlineData("Patient", "_lastUpdated", SearchParamType.Date, "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated")]
    [InlineData("Observation", "code", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/clinical-code")]
    [InlineData("Observation", "subject", SearchParamType.Reference, "http://hl7.org/fhir/SearchParameter/Observation-subject")]
    [InlineData("Observation", "value-quantity", SearchParamType.Quantity, "http://hl7.org/fhir/SearchParameter/Observation-value-quantity")]
    [InlineData("Observation", "_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id")]
    public async Task Lists_search_parameters_with_type_and_definition(string type, string name, SearchParamType paramType, string definition)
    {
        var parameters = ResourceOf(await StatementAsync(), type).SearchParam;
        var parameter = Assert.Single(parameters, p => p.Name == name);
        Assert.Equal(paramType, parameter.Type);
        Assert.Equal(definition, parameter.Definition);
        Assert.Equal(parameters.Count, parameters.Select(p => p.Name).Distinct().Count());
    }

    private static string SampleValue(string type, string code, SearchParamType? paramType) => paramType switch
    {
        SearchParamType.String => "x",
        SearchParamType.Token => "http://example.org|x",
        SearchParamType.Reference => "x",
        SearchParamType.Date => "2000-01-01",
        SearchParamType.Number => "1",
        SearchParamType.Quantity => "1",
        SearchParamType.Uri => "http://example.org/x",
        SearchParamType.Composite => string.Join("$", CompositeComponentTypes(type, code).Select(t => SampleValue(type, code, t) switch
        {
            "http://example.org|x" => "x",
            var v => v,
        })),
        _ => throw new InvalidOperationException($"{type}.{code} claims type {paramType}, which has no sample value"),
    };

    private static IEnumerable<SearchParamType?> CompositeComponentTypes(string type, string code)
    {
        var definition = ModelInfo.SearchParameters.Single(p => p.Resource == type && p.Code == code);
        return definition.Component.Select(c => ModelInfo.SearchParameters.FirstOrDefault(p => p.Url == c.Definition)?.Type);
    }

    [Theory]
    [InlineData("Patient")]
    [InlineData("Observation")]
    [InlineData("Encounter")]
    [InlineData("MedicationRequest")]
    public async Task Every_claimed_search_parameter_is_accepted_under_strict_handling(string type)
    {
        var parameters = ResourceOf(await StatementAsync(), type).SearchParam;
        Assert.NotEmpty(parameters);
        var refused = new List<string>();
        foreach (var parameter in parameters)
        {
            var request = new HttpRequestMessage(HttpMethod.Get,
                $"{type}?{parameter.Name}={Uri.EscapeDataString(SampleValue(type, parameter.Name!, parameter.Type))}");
            request.Headers.Add("Prefer", "handling=strict");
            using var response = await server.Http().SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
                refused.Add($"{parameter.Name} ({parameter.Type}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Empty(refused);
    }

    public static TheoryData<SystemLevel, string, string> SystemInteractionProbes() => new()
    {
        { SystemLevel.Transaction, "POST", "" },
        { SystemLevel.Batch, "POST", "" },
        { SystemLevel.SearchSystem, "GET", "?_id=x" },
        { SystemLevel.HistorySystem, "GET", "_history" },
    };

    [Theory]
    [MemberData(nameof(SystemInteractionProbes))]
    public async Task Claims_a_system_interaction_exactly_when_its_endpoint_exists(SystemLevel interaction, string method, string path)
    {
        var claimed = Assert.Single((await StatementAsync()).Rest).Interaction.Any(i => i.Code == interaction);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
            request.Content = new StringContent("""{"resourceType":"Bundle","type":"batch","entry":[]}""", Encoding.UTF8, "application/fhir+json");
        using var response = await server.Http().SendAsync(request);
        var mapped = response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed);
        Assert.True(claimed == mapped, $"{interaction}: claimed={claimed}, but {method} /{path} answered {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Claims_history_search_transaction_and_batch_at_system_level()
    {
        var rest = Assert.Single((await StatementAsync()).Rest);
        var codes = rest.Interaction.Select(i => i.Code).ToList();
        Assert.Contains(SystemLevel.HistorySystem, codes);
        Assert.Contains(SystemLevel.SearchSystem, codes);
        Assert.Contains(SystemLevel.Transaction, codes);
        Assert.Contains(SystemLevel.Batch, codes);
        Assert.Equal(["_id", "_lastUpdated", "_profile", "_security", "_source", "_tag"], rest.SearchParam.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains("http://hl7.org/fhir/CompartmentDefinition/patient", rest.Compartment);
    }

    [Fact]
    public async Task Is_served_in_xml_equal_to_json()
    {
        var json = await StatementAsync();
        var client = server.Client(ResourceFormat.Xml);
        var xml = await client.CapabilityStatementAsync();
        Assert.StartsWith("<", client.LastBodyAsText);
        Assert.True(json.IsExactly(xml));

        using var response = await server.Http().GetAsync("metadata?_format=xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType?.MediaType);
        var raw = Assert.IsType<CapabilityStatement>(XmlDeserializer.DeserializeResource(await response.Content.ReadAsStringAsync()));
        Assert.Equal(FHIRVersion.N4_0_1, raw.FhirVersion);
        Assert.True(json.IsExactly(raw));
    }
}
