using FhirCare.FhirFacade.Guide;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>The server's validator built from its real parts (embedded definitions, profiles/ beside the test binary), shared by the corpus tests.</summary>
public static class Validators
{
    public static readonly string ProfilesPath = Path.Combine(AppContext.BaseDirectory, "profiles");
    public static readonly string SpecExamples = Path.Combine(AppContext.BaseDirectory, "Fixtures", "spec-examples");

    private static readonly Lazy<Definitions> SharedDefinitions = new(() => new Definitions(new ConformanceResources(new ProfilesFolder(ProfilesPath))));
    private static readonly Lazy<ResourceValidator> Shared = new(() => Create(new ValidationOptions { Mode = ValidationMode.Profiles }, SharedDefinitions.Value));

    public static ResourceValidator Profiles => Shared.Value;
    public static Definitions Definitions => SharedDefinitions.Value;

    public static ResourceValidator Create(ValidationOptions options, Definitions? shared = null)
    {
        var definitions = shared ?? new Definitions(new ConformanceResources(new ProfilesFolder(ProfilesPath)));
        var resources = definitions.Resources;
        var structures = new StructureValidator(definitions, new Invariants(), new Terminology(resources), ResourceValidator.CanonicalBase);
        return new ResourceValidator(structures, definitions, Options.Create(options));
    }

    public static Resource Parse(string path) => new FhirJsonDeserializer().DeserializeResource(File.ReadAllText(path));

    /// <summary>Keeps what the strict parser would refuse (a code outside its enum), so the validator is what reports it.</summary>
    public static Resource ParseLenient(string json) =>
        new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable)).DeserializeResource(json);

    public static string Describe(OperationOutcome outcome) =>
        string.Join("\n", outcome.Issue.Select(i => $"  {i.Severity} {i.Code} {string.Join(",", i.Expression)}: {i.Diagnostics}"));

    public static IEnumerable<OperationOutcome.IssueComponent> Errors(OperationOutcome outcome) => outcome.Issue.Where(ResourceValidator.IsError);
}
