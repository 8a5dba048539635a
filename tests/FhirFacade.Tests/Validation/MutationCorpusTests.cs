using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>
/// Invalid variants of valid resources, each reported as an error with the expected code at the expected FHIRPath.
/// Generated from the official examples by reading the core definitions (drop a required element, put a code outside
/// a required binding, point a reference at a type it may not target), plus hand-written ones for invariants,
/// extension value types and slices (ours and the core vital-signs profile).
/// </summary>
public sealed class MutationCorpusTests
{
    public sealed record Mutation(string Name, string Json, IssueType Code, string Expression)
    {
        public override string ToString() => Name;
    }

    private const int PerKind = 45;
    private static readonly Lazy<List<Mutation>> All = new(Build);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var m in All.Value) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_mutation_is_an_error_at_its_path(string name)
    {
        var mutation = All.Value.Single(m => m.Name == name);
        var outcome = Validators.Profiles.Validate(Validators.ParseLenient(mutation.Json), ValidationMode.Profiles, null);
        Assert.True(Validators.Errors(outcome).Any(i => i.Code == mutation.Code && i.Expression.Contains(mutation.Expression)),
            $"{name}: expected an error {mutation.Code} at {mutation.Expression}, got:\n{Validators.Describe(outcome)}");
    }

    [Fact]
    public void The_corpus_has_at_least_a_hundred_variants_of_every_kind()
    {
        var kinds = All.Value.GroupBy(m => m.Name.Split(':')[0]).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(All.Value.Count >= 100, $"{All.Value.Count} mutations");
        foreach (var kind in new[] { "missing", "code", "target", "invariant", "extension", "slice" })
            Assert.True(kinds.GetValueOrDefault(kind) > 0, $"no mutation of kind {kind}");
        Assert.Equal(All.Value.Count, All.Value.Select(m => m.Name).Distinct().Count());
    }

    private static List<Mutation> Build()
    {
        var mutations = new List<Mutation>();
        var files = Directory.GetFiles(Validators.SpecExamples, "*.json").Order(StringComparer.Ordinal)
            .Where(f => !f.EndsWith("Observation-decimal.json") && !f.EndsWith("Observation-clinical-gender.json")).ToList();
        int missing = 0, codes = 0, targets = 0;
        foreach (var file in files)
        {
            var original = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var type = original["resourceType"]!.GetValue<string>();
            var root = Validators.Definitions.CoreType(type)!.Root;
            var name = Path.GetFileNameWithoutExtension(file);
            foreach (var (key, value) in original.ToList())
            {
                var element = root.Group(ChoiceBase(key, root))?.Element.Definition;
                if (element is null || value is null) continue;
                var path = $"{type}.{ChoiceBase(key, root)}";
                if (missing < PerKind && element.Min >= 1)
                {
                    var m = Clone(original);
                    m.Remove(key);
                    mutations.Add(new($"missing:{name}.{key}", m.ToJsonString(), IssueType.Required, path));
                    missing++;
                }
                if (codes < PerKind && element.Binding?.Strength == BindingStrength.Required && element.Binding.ValueSet is not null && !IsExternal(element.Binding.ValueSet))
                {
                    var m = Clone(original);
                    var target = m[key]!;
                    var at = target is JsonArray ? path + "[0]" : path;
                    var first = target is JsonArray a ? a[0]! : target;
                    if (element.Type.FirstOrDefault()?.Code == "code" && first is JsonValue)
                    {
                        if (target is JsonArray arr) arr[0] = "not-a-valid-code"; else m[key] = "not-a-valid-code";
                    }
                    else if (first["coding"] is JsonArray { Count: > 0 } coding) foreach (var c in coding) c!["code"] = "not-a-valid-code";
                    else continue;
                    mutations.Add(new($"code:{name}.{key}", m.ToJsonString(), IssueType.CodeInvalid, at));
                    codes++;
                }
                if (targets < PerKind && element.Type.FirstOrDefault(t => t.Code == "Reference") is { } reference
                    && reference.TargetProfile.Any() && !reference.TargetProfile.Any(p => p.EndsWith("/Resource")))
                {
                    var m = Clone(original);
                    var target = m[key] is JsonArray arr ? arr[0] : m[key];
                    if (target?["reference"]?.GetValue<string>() is not { } text || !text.Contains('/') || text.StartsWith("urn:")) continue;
                    var allowed = reference.TargetProfile.Select(p => p[(p.LastIndexOf('/') + 1)..]).ToHashSet();
                    var wrong = allowed.Contains("Basic") ? "Substance" : "Basic";
                    target["reference"] = $"{wrong}/mutated";
                    mutations.Add(new($"target:{name}.{key}", m.ToJsonString(), IssueType.Invalid,
                        (m[key] is JsonArray ? path + "[0]" : path) + ".reference"));
                    targets++;
                }
            }
        }
        mutations.AddRange(HandWritten());
        return mutations;
    }

    /// <summary>"valueQuantity" → "value" when the definition has value[x]; other keys as they are.</summary>
    private static string ChoiceBase(string key, ElementNode root)
    {
        if (root.Group(key) is not null) return key;
        var group = root.Groups.FirstOrDefault(g => g.Element.Definition.Path.EndsWith("[x]") && key.StartsWith(g.Element.Name) && key.Length > g.Element.Name.Length && char.IsUpper(key[g.Element.Name.Length]));
        return group?.Element.Name ?? key;
    }

    private static bool IsExternal(string valueSet) =>
        Validators.Definitions.Resources.Find(valueSet) is ValueSet vs && vs.Compose?.Include.Any(i => i.System is { } s && !s.StartsWith("http://hl7.org/fhir") && !s.StartsWith("http://terminology.hl7.org")) == true;

    private static JsonObject Clone(JsonObject o) => JsonNode.Parse(o.ToJsonString())!.AsObject();

    private static string Example(string file) => File.ReadAllText(Path.Combine(Validators.SpecExamples, file));
    private static string Guide(string file) => File.ReadAllText(Path.Combine(Validators.ProfilesPath, "examples", file));

    private static Mutation Edit(string name, string json, Action<JsonObject> edit, IssueType code, string expression)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        edit(o);
        return new(name, o.ToJsonString(), code, expression);
    }

    private static IEnumerable<Mutation> HandWritten()
    {
        const string B = "https://fhircare.org/fhir/StructureDefinition/";
        var patient = Guide("Patient-member-valid.json");
        var task = Guide("Task-outreach-valid.json");
        var comm = Guide("Communication-outreach-valid.json");
        var careplan = Guide("CarePlan-coordination-valid.json");
        JsonNode Stage(JsonObject p) => p["extension"]![0]!;

        // invariants: core and ours
        yield return Edit("invariant:pat-1 contact without details", Example("Patient-example.json"), p =>
        {
            var contact = p["contact"]![0]!.AsObject();
            foreach (var k in new[] { "name", "telecom", "address", "organization" }) contact.Remove(k);
        }, IssueType.Invariant, "Patient.contact[0]");
        yield return Edit("invariant:obs-6 value and dataAbsentReason", Example("Observation-example.json"),
            o => o["dataAbsentReason"] = JsonNode.Parse("""{"text":"unknown"}"""), IssueType.Invariant, "Observation");
        yield return Edit("invariant:per-1 period ends before it starts", Example("Encounter-example.json"),
            e => e["period"] = JsonNode.Parse("""{"start":"2020-02-02","end":"2020-01-01"}"""), IssueType.Invariant, "Encounter.period");
        yield return Edit("invariant:qty-3 code without system", Example("Observation-example.json"),
            o => o["valueQuantity"]!.AsObject().Remove("system"), IssueType.Invariant, "Observation.value");
        yield return Edit("invariant:ext-1 value and nested extensions", Example("Patient-example.json"),
            p => p["extension"] = JsonNode.Parse("""[{"url":"http://example.org/x","valueString":"a","extension":[{"url":"y","valueString":"b"}]}]"""),
            IssueType.Invariant, "Patient.extension[0]");
        yield return Edit("invariant:dom-3 contained resource not referenced", Example("Patient-example.json"),
            p => p["contained"] = JsonNode.Parse("""[{"resourceType":"Organization","id":"orphan","name":"Nobody refers to me"}]"""),
            IssueType.Invariant, "Patient");
        yield return Edit("invariant:fct-1 failed task without reason", task, t => t["status"] = "failed", IssueType.Invariant, "Task");
        yield return Edit("invariant:fct-2 completed task without end", task, t => t["executionPeriod"]!.AsObject().Remove("end"), IssueType.Invariant, "Task");
        yield return Edit("invariant:fcc-1 completed communication never sent", comm, c => { c["status"] = "completed"; c.Remove("sent"); }, IssueType.Invariant, "Communication");
        yield return Edit("invariant:fcc-2 not-done without outcome", comm, c => c.Remove("statusReason"), IssueType.Invariant, "Communication");

        // extension value types
        yield return Edit("extension:trust stage as a string", patient, p => Stage(p)["extension"]![0] = JsonNode.Parse("""{"url":"stage","valueString":"caution"}"""),
            IssueType.Structure, "Patient.extension[0].extension[0].value");
        yield return Edit("extension:assessed as a boolean", patient, p => Stage(p)["extension"]![1] = JsonNode.Parse("""{"url":"assessed","valueBoolean":true}"""),
            IssueType.Structure, "Patient.extension[0].extension[1].value");
        yield return Edit("extension:trust stage with a value of its own", patient, p => Stage(p)["valueString"] = "x",
            IssueType.Structure, "Patient.extension[0].value");
        yield return Edit("extension:risk tier as a boolean", patient, p => p["extension"]![1] = JsonNode.Parse($$"""{"url":"{{B}}member-risk-tier","valueBoolean":true}"""),
            IssueType.Structure, "Patient.extension[1].value");
        yield return Edit("extension:risk tier outside its value set", patient, p => p["extension"]![1]!["valueCode"] = "extreme",
            IssueType.CodeInvalid, "Patient.extension[1].value");
        yield return Edit("extension:personalised outreach as a string", comm, c => c["extension"]![1] = JsonNode.Parse($$"""{"url":"{{B}}personalised-outreach","valueString":"yes"}"""),
            IssueType.Structure, "Communication.extension[1].value");
        yield return Edit("extension:unknown extension of ours", careplan, c => c["extension"]!.AsArray().Add(JsonNode.Parse($$"""{"url":"{{B}}no-such-extension","valueString":"x"}""")),
            IssueType.Extension, "CarePlan.extension[1]");
        yield return Edit("extension:trust stage on a Condition", Example("Condition-example.json"), o => o["extension"] = new JsonArray(Stage(JsonNode.Parse(patient)!.AsObject()).DeepClone()),
            IssueType.Extension, "Condition.extension[0]"); // Observation is allowed: it records a change of stage
        yield return Edit("extension:evidence points at a Patient", patient, p => Stage(p)["extension"]![2]!["valueReference"]!["reference"] = "Patient/someone",
            IssueType.Invalid, "Patient.extension[0].extension[2].value.reference");
        yield return Edit("extension:core birthPlace as a string", Example("Patient-example.json"),
            p => p["extension"] = JsonNode.Parse("""[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueString":"Lisbon"}]"""),
            IssueType.Structure, "Patient.extension[0].value");

        // slices
        yield return Edit("slice:two trust stages on a member", patient, p => p["extension"]!.AsArray().Add(Stage(p).DeepClone()),
            IssueType.Structure, "Patient.extension");
        yield return Edit("slice:trust stage without its assessment date", patient, p => Stage(p)["extension"]!.AsArray().RemoveAt(1),
            IssueType.Required, "Patient.extension[0].extension");
        yield return Edit("slice:unknown part in the closed trust-stage slicing", patient, p => Stage(p)["extension"]!.AsArray().Add(JsonNode.Parse("""{"url":"mood","valueString":"happy"}""")),
            IssueType.Structure, "Patient.extension[0].extension[3]");
        yield return Edit("slice:stage with a fixed url changed", patient, p => Stage(p)["extension"]![0]!["url"] = "Stage",
            IssueType.Required, "Patient.extension[0].extension");
        yield return Edit("slice:vital signs without the vital-signs category", Example("Observation-heart-rate.json"),
            o => o["category"]![0]!["coding"]![0]!["code"] = "laboratory", IssueType.Required, "Observation.category");
        yield return Edit("slice:blood pressure (bp profile) without its systolic component", Example("Observation-blood-pressure.json"), o =>
        {
            o["meta"]!["profile"] = new JsonArray("http://hl7.org/fhir/StructureDefinition/bp");
            o["component"]!.AsArray().RemoveAt(0);
        }, IssueType.Required, "Observation.component");

        // profile cardinality
        yield return Edit("missing:member without identifier", patient, p => p.Remove("identifier"), IssueType.Required, "Patient.identifier");
        yield return Edit("missing:communication without medium", comm, c => c.Remove("medium"), IssueType.Required, "Communication.medium");
        yield return Edit("missing:task without owner type check", task, t => t["owner"] = JsonNode.Parse("""{"reference":"Patient/x"}"""), IssueType.Invalid, "Task.owner.reference");
        yield return Edit("missing:careplan without start", careplan, c => c["period"] = JsonNode.Parse("""{"end":"2027-01-01"}"""), IssueType.Required, "CarePlan.period.start");
    }
}
