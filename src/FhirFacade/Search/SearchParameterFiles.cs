using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Reads our own SearchParameter resources from the implementation guide folder (profiles/, copied next to the
/// server at build): every *.json file holding a SearchParameter, or a Bundle of them. Adding a parameter is a data
/// change: drop its JSON there and restart; stored resources are re-indexed at start-up (<see cref="Reindexer"/>).
/// </summary>
public static class SearchParameterFiles
{
    public static IReadOnlyList<SearchParameter> Load(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var parser = new FhirJsonDeserializer();
        var found = new List<SearchParameter>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file);
            if (!text.Contains("\"SearchParameter\"", StringComparison.Ordinal)) continue;
            var resource = parser.DeserializeResource(text);
            if (resource is SearchParameter sp) found.Add(sp);
            else if (resource is Bundle bundle) found.AddRange(bundle.Entry.Select(e => e.Resource).OfType<SearchParameter>());
        }
        return found;
    }
}
