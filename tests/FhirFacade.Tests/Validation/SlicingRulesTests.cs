using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Guide;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
using IssueSeverity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>
/// Slicing as profiling.html#slicing defines it, on the official R4 profiles that use each rule (bp, bodyweight,
/// lipidprofile: ordered and closed, discriminated through <c>resolve()</c>) and on small test profiles for what no
/// official R4 profile uses (exists and profile discriminators, openAtEnd, maxLength). Each case says where the
/// error must be, and each valid variant must pass, so a validator that ignores a rule fails one or the other.
/// </summary>
public sealed class SlicingRulesTests
{
    private const string Test = "https://fhircare.org/fhir/test/StructureDefinition/";
    private const string Core = "http://hl7.org/fhir/StructureDefinition/";

    private static readonly Lazy<ResourceValidator> Validator = new(() =>
    {
        var own = GuidePublisher.Load(Validators.ProfilesPath).Select(a => a.Resource)
            .Concat(TestProfiles.Select(json => new FhirJsonDeserializer().DeserializeResource(json)));
        return Validators.Create(new ValidationOptions { Mode = ValidationMode.Profiles }, new Definitions(new ConformanceResources(own)));
    });

    private static string Profile(string id, string type, string elements) => $$"""
        { "resourceType": "StructureDefinition", "id": "{{id}}", "url": "{{Test}}{{id}}", "name": "{{id.Replace("-", "")}}",
          "status": "draft", "kind": "resource", "abstract": false, "type": "{{type}}",
          "baseDefinition": "{{Core}}{{type}}", "derivation": "constraint", "differential": { "element": [ {{elements}} ] } }
        """;

    private static readonly string[] TestProfiles =
    [
        Profile("exists-slicing", "Observation", """
            { "id": "Observation.component", "path": "Observation.component",
              "slicing": { "discriminator": [ { "type": "exists", "path": "dataAbsentReason" } ], "rules": "closed" } },
            { "id": "Observation.component:measured", "path": "Observation.component", "sliceName": "measured", "min": 1, "max": "*" },
            { "id": "Observation.component:measured.dataAbsentReason", "path": "Observation.component.dataAbsentReason", "max": "0" },
            { "id": "Observation.component:absent", "path": "Observation.component", "sliceName": "absent", "min": 0, "max": "1" },
            { "id": "Observation.component:absent.dataAbsentReason", "path": "Observation.component.dataAbsentReason", "min": 1 }
            """),
        Profile("profile-slicing", "Bundle", """
            { "id": "Bundle.entry", "path": "Bundle.entry",
              "slicing": { "discriminator": [ { "type": "profile", "path": "resource" } ], "rules": "open" } },
            { "id": "Bundle.entry:member", "path": "Bundle.entry", "sliceName": "member", "min": 1, "max": "1" },
            { "id": "Bundle.entry:member.resource", "path": "Bundle.entry.resource",
              "type": [ { "code": "Resource", "profile": [ "https://fhircare.org/fhir/StructureDefinition/member-patient" ] } ] }
            """),
        Profile("open-at-end", "Patient", """
            { "id": "Patient.identifier", "path": "Patient.identifier",
              "slicing": { "discriminator": [ { "type": "value", "path": "system" } ], "rules": "openAtEnd" } },
            { "id": "Patient.identifier:mrn", "path": "Patient.identifier", "sliceName": "mrn", "min": 0, "max": "1" },
            { "id": "Patient.identifier:mrn.system", "path": "Patient.identifier.system", "fixedUri": "urn:oid:1.2.3.4" }
            """),
        Profile("max-length", "Patient", """
            { "id": "Patient.name.family", "path": "Patient.name.family", "maxLength": 6 }
            """),
    ];

    private static OperationOutcome Validate(string json) =>
        Validator.Value.Validate(Validators.ParseLenient(json), ValidationMode.Profiles, null);

    private static void HasError(OperationOutcome outcome, IssueType code, string expression, string text)
    {
        Assert.True(Validators.Errors(outcome).Any(i => i.Code == code && i.Expression.Contains(expression) && i.Diagnostics.Contains(text)),
            $"expected an error {code} at {expression} saying '{text}', got:\n{Validators.Describe(outcome)}");
    }

    private static void NoErrors(OperationOutcome outcome) =>
        Assert.True(!Validators.Errors(outcome).Any(), Validators.Describe(outcome));

    private static string Example(string file) => File.ReadAllText(Path.Combine(Validators.SpecExamples, file));

    private static string Edit(string json, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    // ---- exists discriminator

    private static string Components(params bool[] absent) => $$"""
        { "resourceType": "Observation", "meta": { "profile": [ "{{Test}}exists-slicing" ] }, "status": "final",
          "code": { "text": "panel" },
          "component": [ {{string.Join(",", absent.Select(a => a
            ? """{ "code": { "text": "part" }, "dataAbsentReason": { "text": "not measured" } }"""
            : """{ "code": { "text": "part" }, "valueString": "measured" }"""))}} ] }
        """;

    [Fact]
    public void Exists_discriminator_puts_each_component_in_its_slice()
    {
        NoErrors(Validate(Components(false, true, false)));
    }

    [Fact]
    public void Exists_discriminator_counts_the_slice_cardinality()
    {
        HasError(Validate(Components(true, true, false)), IssueType.Structure, "Observation.component", "component:absent: maximum allowed = 1, but found 2");
        HasError(Validate(Components(true)), IssueType.Required, "Observation.component", "component:measured: minimum required = 1, but only found 0");
    }

    // ---- profile discriminator

    private static string MemberBundle(params string[] resources) => $$"""
        { "resourceType": "Bundle", "meta": { "profile": [ "{{Test}}profile-slicing" ] }, "type": "collection",
          "entry": [ {{string.Join(",", resources.Select((r, i) => $$"""{ "fullUrl": "urn:uuid:0000000{{i}}-0000-4000-8000-000000000000", "resource": {{r}} }"""))}} ] }
        """;

    private static readonly string Member = File.ReadAllText(Path.Combine(Validators.ProfilesPath, "examples", "Patient-member-valid.json"));
    private const string PlainPatient = """{ "resourceType": "Patient", "name": [ { "family": "Plain" } ] }""";
    private const string Organization = """{ "resourceType": "Organization", "name": "Plan" }""";

    [Fact]
    public void Profile_discriminator_finds_the_entry_that_conforms()
    {
        NoErrors(Validate(MemberBundle(Organization, Member, PlainPatient)));
    }

    [Fact]
    public void Profile_discriminator_reports_a_missing_or_repeated_slice()
    {
        // a Patient that is not a member (no identifier, no birthDate) is in no slice: the member slice is empty
        HasError(Validate(MemberBundle(PlainPatient, Organization)), IssueType.Required, "Bundle.entry", "entry:member: minimum required = 1, but only found 0");
        HasError(Validate(MemberBundle(Member, Member)), IssueType.Structure, "Bundle.entry", "entry:member: maximum allowed = 1, but found 2");
    }

    // ---- ordered + closed, discriminated through resolve() (official lipidprofile)

    private static readonly Dictionary<string, string> Lipids = new()
    {
        ["cholesterol"] = """{"coding":[{"system":"http://loinc.org","code":"35200-5","display":"Cholesterol [Moles/\u200bvolume] in Serum or Plasma"}]}""",
        ["triglyceride"] = """{"coding":[{"system":"http://loinc.org","code":"35217-9","display":"Triglyceride [Moles/\u200bvolume] in Serum or Plasma"}]}""",
        ["hdlcholesterol"] = """{"coding":[{"system":"http://loinc.org","code":"2085-9","display":"HDL Cholesterol"}]}""",
        ["glucose"] = """{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]}""",
    };

    private static string LipidPanel(params string[] results) => $$"""
        { "resourceType": "DiagnosticReport", "meta": { "profile": [ "{{Core}}lipidprofile" ] },
          "contained": [ {{string.Join(",", results.Where(r => !r.Contains('/')).Distinct().Select(r => $$"""
            { "resourceType": "Observation", "id": "{{r}}", "status": "final", "code": {{Lipids[r]}},
              "valueQuantity": { "value": 4.1, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L" } }
            """))}} ],
          "status": "final",
          "code": { "coding": [ { "system": "http://loinc.org", "code": "57698-3", "display": "Lipid panel with direct LDL - Serum or Plasma" } ] },
          "subject": { "reference": "Patient/pat2" }, "issued": "2011-03-04T11:45:33+11:00",
          "result": [ {{string.Join(",", results.Select(r => $$"""{ "reference": "{{(r.Contains('/') ? r : "#" + r)}}" }"""))}} ] }
        """;

    [Fact]
    public void Ordered_slicing_accepts_results_in_slice_order()
    {
        NoErrors(Validate(LipidPanel("cholesterol", "triglyceride", "hdlcholesterol")));
    }

    [Fact]
    public void Ordered_slicing_reports_a_result_out_of_order_at_its_index()
    {
        var outcome = Validate(LipidPanel("triglyceride", "cholesterol", "hdlcholesterol"));
        HasError(outcome, IssueType.Structure, "DiagnosticReport.result[1]", "slicing of DiagnosticReport.result is ordered");
        Assert.DoesNotContain(Validators.Errors(outcome), i => i.Expression.Contains("DiagnosticReport.result[0]") || i.Expression.Contains("DiagnosticReport.result[2]"));
    }

    [Fact]
    public void Closed_slicing_through_resolve_refuses_a_result_in_no_slice()
    {
        HasError(Validate(LipidPanel("cholesterol", "triglyceride", "hdlcholesterol", "glucose")), IssueType.Structure, "DiagnosticReport.result[3]", "the slicing is closed");
    }

    [Fact]
    public void A_reference_that_cannot_be_resolved_leaves_its_slice_unknown_rather_than_wrong()
    {
        var outcome = Validate(LipidPanel("cholesterol", "Observation/elsewhere", "hdlcholesterol"));
        NoErrors(outcome);
        Assert.Contains(outcome.Issue, i => i.Severity == IssueSeverity.Information && i.Expression.Contains("DiagnosticReport.result[1]") && i.Diagnostics.Contains("could not be determined"));
        Assert.Contains(outcome.Issue, i => i.Severity == IssueSeverity.Warning && i.Diagnostics.StartsWith("result:Triglyceride: minimum required = 1"));
    }

    // ---- openAtEnd

    private static string Identifiers(params string[] systems) => $$"""
        { "resourceType": "Patient", "meta": { "profile": [ "{{Test}}open-at-end" ] },
          "identifier": [ {{string.Join(",", systems.Select((s, i) => $$"""{ "system": "{{s}}", "value": "{{i}}" }"""))}} ] }
        """;

    [Fact]
    public void OpenAtEnd_accepts_unsliced_items_after_the_sliced_ones()
    {
        NoErrors(Validate(Identifiers("urn:oid:1.2.3.4", "https://other.example/ids", "https://third.example/ids")));
    }

    [Fact]
    public void OpenAtEnd_reports_a_sliced_item_after_an_unsliced_one()
    {
        HasError(Validate(Identifiers("https://other.example/ids", "urn:oid:1.2.3.4")), IssueType.Structure, "Patient.identifier[1]", "openAtEnd");
    }

    // ---- maxLength

    [Fact]
    public void MaxLength_is_checked_in_characters()
    {
        string Named(string family) => $$"""{ "resourceType": "Patient", "meta": { "profile": [ "{{Test}}max-length" ] }, "name": [ { "given": ["A"] }, { "family": "{{family}}" } ] }""";
        NoErrors(Validate(Named("Müller")));   // 6 characters (7 UTF-8 bytes)
        HasError(Validate(Named("Rivera-Lopez")), IssueType.TooLong, "Patient.name[1].family", "at most 6 characters allowed, but this value has 12");
    }

    // ---- official vital-signs profiles: cardinality, fixed values and invariants inside slices

    private static string Bp(Action<JsonObject> edit) => Edit(Example("Observation-blood-pressure.json"), o =>
    {
        o["meta"] = JsonNode.Parse($$"""{ "profile": [ "{{Core}}bp" ] }""");
        edit(o);
    });

    [Fact]
    public void The_official_blood_pressure_example_conforms_to_bp()
    {
        NoErrors(Validate(Bp(_ => { })));
    }

    [Fact]
    public void A_slice_is_held_to_its_own_maximum()
    {
        HasError(Validate(Bp(o => o["component"]!.AsArray().Add(o["component"]![0]!.DeepClone()))),
            IssueType.Structure, "Observation.component", "component:SystolicBP: maximum allowed = 1, but found 2");
    }

    [Fact]
    public void A_fixed_value_inside_a_slice_is_checked_at_its_path()
    {
        HasError(Validate(Bp(o => o["component"]![1]!["valueQuantity"]!["code"] = "mmHg")),
            IssueType.Value, "Observation.component[1].value.code", "Value must be exactly 'mm[Hg]'");
    }

    [Fact]
    public void A_required_element_inside_a_slice_is_checked_at_its_path()
    {
        HasError(Validate(Bp(o => o["component"]![0]!["valueQuantity"]!.AsObject().Remove("unit"))),
            IssueType.Required, "Observation.component[0].value.unit", "unit: minimum required = 1");
    }

    [Fact]
    public void An_invariant_on_a_slice_is_evaluated_with_its_severity()
    {
        // vs-3 (error): a component needs a value or a dataAbsentReason
        HasError(Validate(Bp(o => o["component"]![0]!.AsObject().Remove("valueQuantity"))), IssueType.Invariant, "Observation.component[0]", "vs-3");
        // fcm-1 (warning, ours): a member's telecoms should be ranked
        var member = Edit(Member, p => p["telecom"] = JsonNode.Parse("""[ { "system": "phone", "value": "555-0100" } ]"""));
        var outcome = Validate(member);
        NoErrors(outcome);
        Assert.Contains(outcome.Issue, i => i.Severity == IssueSeverity.Warning && i.Code == IssueType.Invariant && i.Diagnostics.Contains("fcm-1"));
    }

    [Fact]
    public void Type_slicing_on_value_is_closed_in_bodyweight()
    {
        string Weight(string value) => Edit(Example("Observation-heart-rate.json"), o =>
        {
            o["meta"] = JsonNode.Parse($$"""{ "profile": [ "{{Core}}bodyweight" ] }""");
            o["code"] = JsonNode.Parse("""{ "coding": [ { "system": "http://loinc.org", "code": "29463-7", "display": "Body weight" } ] }""");
            o.Remove("valueQuantity");
            o[value.StartsWith('{') ? "valueQuantity" : "valueString"] = JsonNode.Parse(value);
        });
        NoErrors(Validate(Weight("""{ "value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg" }""")));
        HasError(Validate(Weight("\"seventy kilos\"")), IssueType.Structure, "Observation.value", "string is not allowed for Observation.value[x]");
    }
}
