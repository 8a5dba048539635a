using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// A StructureDefinition's snapshot as a tree the validator walks: each element knows its children, grouped by
/// name (a choice "value[x]" is named "value", as the POCOs name it), and each group its slices. Built once per
/// definition and cached by <see cref="Definitions"/>.
/// </summary>
public sealed class ElementTree
{
    public StructureDefinition Definition { get; }
    public ElementNode Root { get; }

    public ElementTree(StructureDefinition definition)
    {
        Definition = definition;
        var elements = definition.Snapshot?.Element ?? throw new InvalidOperationException($"{definition.Url} has no snapshot");
        var byId = new Dictionary<string, ElementNode>(StringComparer.Ordinal);
        Root = new ElementNode(elements[0], null);
        byId[IdOf(elements[0])] = Root;
        foreach (var element in elements.Skip(1))
        {
            var id = IdOf(element);
            var cut = id.LastIndexOf('.');
            if (cut < 0 || !byId.TryGetValue(id[..cut], out var parent)) continue; // malformed id: nothing can hang off it
            var node = new ElementNode(element, parent);
            byId[id] = node;
            parent.Add(node);
        }
        foreach (var node in byId.Values)
            if (node.Definition.ContentReference is { Length: > 1 } reference)
                node.ContentReference = byId.GetValueOrDefault(reference[(reference.IndexOf('#') + 1)..]);
    }

    /// <summary>Snapshots from the spec carry ids; generated ones too (GenerateElementIds). A path is the fallback.</summary>
    private static string IdOf(ElementDefinition e) => e.ElementId ?? e.Path;
}

/// <summary>One element definition in a snapshot, with its child groups.</summary>
public sealed class ElementNode(ElementDefinition definition, ElementNode? parent)
{
    private readonly Dictionary<string, ElementGroup> _groups = new(StringComparer.Ordinal);

    public ElementDefinition Definition { get; } = definition;
    public ElementNode? Parent { get; } = parent;
    public ElementNode? ContentReference { get; set; }

    /// <summary>The name the POCOs use: the last path segment without "[x]".</summary>
    public string Name { get; } = LastSegment(definition.Path);

    public IReadOnlyCollection<ElementGroup> Groups => (ContentReference ?? this)._groups.Values;
    public bool HasChildren => Groups.Count > 0;
    public ElementGroup? Group(string name) => (ContentReference ?? this)._groups.GetValueOrDefault(name);

    internal void Add(ElementNode child)
    {
        if (!_groups.TryGetValue(child.Name, out var group))
        {
            _groups[child.Name] = new ElementGroup(child);
            return;
        }
        if (child.Definition.SliceName is { Length: > 0 }) group.Slices.Add(child);
    }

    private static string LastSegment(string path)
    {
        var name = path[(path.LastIndexOf('.') + 1)..];
        return name.EndsWith("[x]", StringComparison.Ordinal) ? name[..^3] : name;
    }
}

/// <summary>The definitions of one child name: the element itself (with its slicing, if any) and its slices.</summary>
public sealed class ElementGroup(ElementNode element)
{
    public ElementNode Element { get; } = element;
    public List<ElementNode> Slices { get; } = [];
}
