using FhirCare.FhirFacade.Guide;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Our own SearchParameter resources from the implementation guide folder (profiles/, copied next to the server at
/// build): the SearchParameter artefacts <see cref="GuidePublisher"/> publishes (one per file or in a Bundle; folders
/// named examples/ left out). Adding a parameter is a data change: drop its JSON there and restart; stored resources
/// are re-indexed at start-up (<see cref="Reindexer"/>).
/// </summary>
public static class SearchParameterFiles
{
    public static IReadOnlyList<SearchParameter> Load(string folder) =>
        GuidePublisher.Load(folder).Select(a => a.Resource).OfType<SearchParameter>().ToList();
}
