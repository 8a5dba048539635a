using System.Diagnostics;
using System.Globalization;
using FhirCare.FhirFacade.Guide;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.Bench;

/// <summary>
/// --scenario validate: the server's validator in-process (no HTTP): the cold cost (definitions index, first
/// snapshots, first compilations) and then warm validations of typical resources, one thread, per resource type.
/// </summary>
static class ValidationBench
{
    public static int Run(Options options)
    {
        var root = Options.FindRepoRoot();
        var profiles = Path.Combine(root, "profiles");
        var examples = Path.Combine(root, "tests", "FhirFacade.Tests", "Fixtures", "spec-examples");
        var parser = new FhirJsonDeserializer();
        var cases = new (string Name, Resource Resource)[]
        {
            ("Patient (bench generator, core)", parser.DeserializeResource(System.Text.Encoding.UTF8.GetString(new PatientFactory().Write(1L << 50).Span))),
            ("Patient (member-patient profile)", parser.DeserializeResource(File.ReadAllText(Path.Combine(profiles, "examples", "Patient-member-valid.json")))),
            ("Communication (outreach profile)", parser.DeserializeResource(File.ReadAllText(Path.Combine(profiles, "examples", "Communication-outreach-valid.json")))),
            ("Observation (vital signs profile)", parser.DeserializeResource(File.ReadAllText(Path.Combine(examples, "Observation-heart-rate.json")))),
            ("CarePlan-f201 (contained resources)", parser.DeserializeResource(File.ReadAllText(Path.Combine(examples, "CarePlan-f201.json")))),
        };

        var started = Stopwatch.GetTimestamp();
        var resources = new ConformanceResources(new ProfilesFolder(profiles));
        var definitions = new Definitions(resources);
        var validator = new ResourceValidator(
            new StructureValidator(definitions, new Invariants(), new Terminology(resources), ResourceValidator.CanonicalBase),
            definitions, Microsoft.Extensions.Options.Options.Create(new ValidationOptions { Mode = ValidationMode.Profiles }));
        var index = Stopwatch.GetTimestamp();
        _ = resources.CoreCount;
        Console.WriteLine(Invariant($"Definitions index: {Stopwatch.GetElapsedTime(index).TotalMilliseconds:0} ms"));
        foreach (var (name, resource) in cases)
        {
            var cold = Stopwatch.GetTimestamp();
            var outcome = validator.Validate(resource, ValidationMode.Profiles, null);
            var errors = outcome.Issue.Count(ResourceValidator.IsError);
            Console.WriteLine(Invariant($"First validation of {name}: {Stopwatch.GetElapsedTime(cold).TotalMilliseconds:0.0} ms ({errors} errors)"));
        }
        Console.WriteLine(Invariant($"Cold total: {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms"));

        var seconds = Math.Max(1, options.Duration.TotalSeconds / cases.Length);
        Console.WriteLine();
        Console.WriteLine("| resource | validations | mean µs | p50 µs | p99 µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, resource) in cases)
        {
            var samples = new List<double>();
            var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                var t = Stopwatch.GetTimestamp();
                validator.Validate(resource, ValidationMode.Profiles, null);
                samples.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
            samples.Sort();
            Console.WriteLine(Invariant($"| {name} | {samples.Count:N0} | {samples.Average():0} | {samples[samples.Count / 2]:0} | {samples[(int)(samples.Count * 0.99)]:0} |"));
        }
        return 0;
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
