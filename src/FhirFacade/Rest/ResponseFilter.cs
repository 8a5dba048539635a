using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Rest;

/// <summary>
/// _summary and _elements (search.html#summary, #elements) as a serialization filter. Used instead of the SDK's own
/// filters because those drop id and meta under _elements and add a second SUBSETTED tag in a pre-R4 code system;
/// the R4 tag is added to the resource before serialising (see <see cref="FhirResponses"/>).
/// </summary>
public sealed class ResponseFilter(SummaryType summary, string[]? elements) : SerializationFilter
{
    private readonly HashSet<string>? _elements = elements?.Select(e => e[(e.IndexOf('.') + 1)..]).ToHashSet(StringComparer.Ordinal);
    private int _depth;

    /// <summary>For each resource being written (the response, or an entry inside a Bundle), its depth and whether it is filtered.</summary>
    private readonly Stack<(int Depth, bool Filtered)> _resources = new();

    public static Func<SerializationFilter>? For(SummaryType summary, string[]? elements) =>
        summary == SummaryType.False && elements is null ? null : () => new ResponseFilter(summary, elements);

    public override void EnterObject(object value, ClassMapping? mapping)
    {
        _depth++;
        // A Bundle and its OperationOutcome are the envelope: only the resources in its entries are summarised.
        if (value is Resource resource) _resources.Push((_depth, resource is not (Bundle or OperationOutcome)));
        // The SDK's serializer tags every filtered resource SUBSETTED in the pre-R4 system; the R4 tag is already there.
        if (value is Meta meta) meta.Tag.RemoveAll(t => t.Code == "SUBSETTED" && t.System == "http://hl7.org/fhir/v3/ObservationValue");
    }

    public override void LeaveObject(object value, ClassMapping? mapping)
    {
        if (value is Resource && _resources.Count > 0 && _resources.Peek().Depth == _depth) _resources.Pop();
        _depth--;
    }

    public override bool TryEnterMember(string name, object value, PropertyMapping? mapping)
    {
        if (mapping is null || _resources.Count == 0 || !_resources.Peek().Filtered) return true;
        var topLevel = _depth == _resources.Peek().Depth;
        var always = name is "id" or "meta" || mapping.IsMandatoryElement;
        if (_elements is not null) return !topLevel || always || _elements.Contains(name);
        return summary switch
        {
            SummaryType.True => mapping.InSummary || (topLevel && always),
            SummaryType.Text => !topLevel || always || name == "text",
            SummaryType.Data => !topLevel || name != "text",
            _ => true,
        };
    }

    public override void LeaveMember(string name, object value, PropertyMapping? mapping) { }
}
