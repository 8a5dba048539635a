using FhirCare.FhirFacade.Search;

namespace FhirCare.FhirFacade.Storage;

/// <summary>
/// The order in which _include/_revinclude add resources to a page, the same for every store: round 0 applies every
/// spec to the matches, each later round applies the :iterate specs to what the previous round added, a resource is
/// added once (never when it is already a match), and the page stops growing at <see cref="MaxIncluded"/> resources
/// or after <see cref="MaxIterations"/> iterations. The store only answers "what does this spec reach from these ids".
/// </summary>
internal static class IncludeResolution
{
    /// <summary>Most resources an _include/_revinclude may add to one page, and how deep :iterate goes.</summary>
    public const int MaxIncluded = 1000, MaxIterations = 4;

    /// <summary>
    /// What one spec reaches from resources of one type (by id): at most <see cref="MaxIncluded"/> current,
    /// non-deleted resources, or null when the spec does not apply to that type.
    /// </summary>
    public delegate ValueTask<IReadOnlyList<StoredResource>?> Reach(IncludeSpec spec, string type, IReadOnlyList<string> ids);

    public static async ValueTask<List<StoredResource>> ResolveAsync(IReadOnlyList<IncludeSpec> specs, IReadOnlyList<StoredResource> matches, Reach reach)
    {
        var seen = matches.Select(m => (m.Type, m.Id)).ToHashSet();
        var included = new List<StoredResource>();
        IReadOnlyList<StoredResource> frontier = matches;
        for (int round = 0; round <= MaxIterations && frontier.Count > 0 && included.Count < MaxIncluded; round++)
        {
            var added = new List<StoredResource>();
            foreach (var spec in specs.Where(s => round == 0 || s.Iterate))
            {
                foreach (var group in frontier.GroupBy(r => r.Type))
                {
                    if (await reach(spec, group.Key, group.Select(r => r.Id).ToList()) is not { } reached) continue;
                    foreach (var resource in reached)
                    {
                        if (included.Count + added.Count >= MaxIncluded) break;
                        if (seen.Add((resource.Type, resource.Id))) added.Add(resource);
                    }
                }
            }
            included.AddRange(added);
            frontier = added;
        }
        return included;
    }
}
