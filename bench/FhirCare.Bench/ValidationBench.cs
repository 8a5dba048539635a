using System.Diagnostics;
using System.Globalization;
using FhirCare.FhirFacade.Guide;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.Bench;

/// <summary>
/// --scenario validate: the server's validator in-process (no HTTP): the cold cost (definitions index, first
/// snapshots, first compilations), then warm validations of typical resources, one thread, per resource type, and
/// then the whole corpus (every official R4 example and every valid example of our guide, each validated as a write
/// would be) round after round, with latency percentiles over every validation.
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
        Corpus(validator, parser, [examples, Path.Combine(profiles, "examples")], seconds * cases.Length);
        return 0;
    }

    /// <summary>Every example (official and ours; *-invalid.json left out), validated round after round for the given time.</summary>
    static void Corpus(ResourceValidator validator, FhirJsonDeserializer parser, string[] folders, double seconds)
    {
        var corpus = new List<Resource>();
        var names = new List<string>();
        foreach (var file in folders.SelectMany(f => Directory.GetFiles(f, "*.json")).Where(f => !f.EndsWith("-invalid.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try { corpus.Add(parser.DeserializeResource(File.ReadAllText(file))); names.Add(Path.GetFileName(file)); }
            catch (DeserializationFailedException) { } // Observation-decimal.json: a value outside .NET's decimal range
        }
        var each = corpus.Select(_ => new List<double>()).ToList();
        foreach (var r in corpus) validator.Validate(r, ValidationMode.Profiles, null); // first use of each type: not measured
        var samples = new List<double>();
        var rounds = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            for (int i = 0; i < corpus.Count; i++)
            {
                var t = Stopwatch.GetTimestamp();
                validator.Validate(corpus[i], ValidationMode.Profiles, null);
                var us = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
                samples.Add(us);
                each[i].Add(us);
            }
            rounds++;
        }
        samples.Sort();
        double P(double q) => samples[Math.Min(samples.Count - 1, (int)(samples.Count * q))];
        Console.WriteLine();
        Console.WriteLine(Invariant($"Corpus: {corpus.Count} resources (official R4 examples + the guide's valid examples), {rounds} rounds, {samples.Count:N0} validations"));
        Console.WriteLine("| validations | mean µs | p50 µs | p90 µs | p99 µs | max µs |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(Invariant($"| {samples.Count:N0} | {samples.Average():0} | {P(0.5):0} | {P(0.9):0} | {P(0.99):0} | {samples[^1]:0} |"));
        Console.WriteLine();
        Console.WriteLine("Slowest by median: | resource | JSON KB | p50 µs |");
        foreach (var (name, median, kb) in names.Select((n, i) => (n, each[i].Order().ElementAt(each[i].Count / 2), FhirCare.FhirFacade.Rest.FhirJson.ToBytes(corpus[i]).Length / 1024.0))
                     .OrderByDescending(x => x.Item2).Take(8))
            Console.WriteLine(Invariant($"| {name} | {kb:0.0} | {median:0} |"));
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
