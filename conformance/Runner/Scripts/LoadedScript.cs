using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirCare.Conformance.Execution;

namespace FhirCare.Conformance.Scripts;

/// <summary>A TestScript read from disk with its fixtures resolved, or the reasons they could not be.</summary>
public sealed record LoadedScript(string Path, TestScript Script, IReadOnlyDictionary<string, Resource> Fixtures, IReadOnlyList<string> Problems)
{
    public string Name => Script.Name ?? Script.Id ?? System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>Every TestScript under the given files or folders; folders named "fixtures" hold fixtures (some of them TestScripts) and are skipped.</summary>
    public static IReadOnlyList<LoadedScript> LoadAll(IEnumerable<string> roots)
    {
        var files = roots.SelectMany<string, string>(root => File.Exists(root)
                ? new[] { root }
                : !Directory.Exists(root) ? throw new ArgumentException($"no TestScript file or folder at '{root}'")
                : Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".xml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            .Where(f => !f.Split(System.IO.Path.DirectorySeparatorChar).Contains("fixtures") && IsTestScript(f));
        return files.Select(Load).ToList();
    }

    private static bool IsTestScript(string path)
    {
        if (path.EndsWith(".xml", StringComparison.Ordinal))
        {
            using var reader = System.Xml.XmlReader.Create(path);
            try { return reader.MoveToContent() == System.Xml.XmlNodeType.Element && reader.LocalName == "TestScript"; }
            catch (System.Xml.XmlException) { return false; }
        }
        using var stream = File.OpenRead(path);
        try
        {
            using var doc = JsonDocument.Parse(stream);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("resourceType", out var type) && type.GetString() == "TestScript";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static LoadedScript Load(string path)
    {
        // Scripts in the wild often leave out elements R4 makes mandatory (encodeRequestUrl, autocreate): read what is there.
        TestScript script;
        try
        {
            var text = File.ReadAllText(path);
            script = (TestScript)(path.EndsWith(".xml", StringComparison.Ordinal)
                ? FhirXmlDeserializer.RECOVERABLE.DeserializeResource(text)
                : FhirJsonDeserializer.RECOVERABLE.DeserializeResource(text));
        }
        catch (DeserializationFailedException e) when (e.PartialResult is TestScript partial)
        {
            script = partial;
        }
        return Resolve(path, script);
    }

    /// <summary>Resolves fixture references: "#id" (contained), a file path relative to the script, or "Type/id" (a Type-id.json beside it or in fixtures/).</summary>
    public static LoadedScript Resolve(string path, TestScript script)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var fixtures = new Dictionary<string, Resource>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var fixture in script.Fixture)
        {
            var reference = fixture.Resource?.Reference;
            if (fixture.ElementId is not { Length: > 0 } id) { problems.Add("a fixture has no id"); continue; }
            if (reference is not { Length: > 0 }) { problems.Add($"fixture '{id}' has no resource reference"); continue; }
            try
            {
                fixtures[id] = reference.StartsWith('#')
                    ? script.Contained.FirstOrDefault(c => c.Id == reference[1..]) ?? throw new FileNotFoundException($"no contained resource '{reference}'")
                    : FhirWire.ParseFile(FixtureFile(folder, reference) ?? throw new FileNotFoundException($"file '{reference}' not found next to the script or in fixtures/"));
            }
            catch (Exception e) when (e is FileNotFoundException or DeserializationFailedException or JsonException or System.Xml.XmlException)
            {
                problems.Add($"fixture '{id}': {e.Message}");
            }
        }
        return new LoadedScript(path, script, fixtures, problems);
    }

    private static string? FixtureFile(string folder, string reference)
    {
        var candidates = reference.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || reference.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)
            ? [reference]
            : new[] { reference.Replace('/', '-') + ".json", "fixtures/" + reference.Replace('/', '-') + ".json" };
        return candidates.Select(c => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, c))).FirstOrDefault(File.Exists);
    }
}
