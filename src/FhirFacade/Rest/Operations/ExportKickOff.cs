using System.Globalization;
using FhirCare.FhirFacade.Export;
using FhirCare.FhirFacade.Rest.Interactions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// The kick-off parameters of $export (Bulk Data IG v2, export.html#query-parameters), from the query string of a GET
/// or the Parameters body of a POST, checked once into the fields of an <see cref="ExportJob"/>. Each value keeps
/// where it came from (the query parameter's name, or <c>Parameters.parameter[i].value[x]</c>) for precise errors.
/// Under <c>Prefer: handling=lenient</c>, what this server cannot do (<c>includeAssociatedData</c>, a <c>_typeFilter</c>
/// it cannot evaluate) is reported in the export's error file instead of refused.
/// </summary>
public sealed class ExportKickOff
{
    private const string ProvenanceValueSet = "http://hl7.org/fhir/uv/bulkdata/ValueSet/include-associated-data";
    private static readonly HashSet<string> OutputFormats = [BulkExport.NdjsonMediaType, "application/ndjson", "ndjson"];
    private static readonly HashSet<string> AssociatedData = ["LatestProvenanceResources", "RelevantProvenanceResources"];

    /// <summary>One parameter value and where it was given.</summary>
    private sealed record Value(string Name, string Text, string Location);

    private readonly List<Value> _values;
    private readonly bool _lenient;

    private ExportKickOff(List<Value> values, bool lenient) => (_values, _lenient) = (values, lenient);

    public DateTimeOffset? Since { get; private set; }
    public IReadOnlyList<string> Types { get; private set; } = [];
    public IReadOnlyList<string> TypeFilters { get; private set; } = [];
    public IReadOnlyList<string> Elements { get; private set; } = [];
    public IReadOnlyList<string>? Patients { get; private set; }
    public List<ExportIssue> Issues { get; } = [];

    /// <summary>The parameters of a GET kick-off: one value per comma-free query value.</summary>
    public static ExportKickOff FromQuery(HttpRequest request) =>
        new([.. request.Query.SelectMany(q => q.Value.Select(v => new Value(q.Key, v ?? "", q.Key)))], IsLenient(request));

    /// <summary>The parameters of a POST kick-off: a Parameters resource (JSON or XML).</summary>
    public static async Task<ExportKickOff> FromBodyAsync(HttpContext context, ResourceBody body)
    {
        var request = context.Request;
        foreach (var name in request.Query.Keys)
            if (name is not ("_format" or "_pretty"))
                throw FhirException.BadRequest($"A POST $export takes its parameters in a Parameters body, not in the query ('{name}')", name);
        if (request.ContentLength is 0 || request.ContentType is null)
            throw FhirException.BadRequest("A POST $export needs a Parameters body (Content-Type application/fhir+json)", "Parameters", OperationOutcome.IssueType.Required);
        var bytes = await body.ReadBytesAsync(request, context.RequestAborted);
        if (ResourceBody.Parse(bytes, ResponseShape.RequestFormat(request)) is not Parameters parameters)
            throw FhirException.BadRequest("A POST $export takes a Parameters resource", "resourceType");
        var values = new List<Value>();
        for (var i = 0; i < parameters.Parameter.Count; i++)
        {
            var p = parameters.Parameter[i];
            var at = $"Parameters.parameter[{i}]";
            if (string.IsNullOrEmpty(p.Name)) throw FhirException.BadRequest("Every parameter needs a name", $"{at}.name", OperationOutcome.IssueType.Required);
            if (p.Resource is not null || p.Part.Count > 0)
                throw FhirException.BadRequest($"$export parameter '{p.Name}' takes a value[x], not a resource or parts", at);
            var text = (p.Name, p.Value) switch
            {
                (_, null) => throw FhirException.BadRequest($"$export parameter '{p.Name}' has no value", $"{at}.value[x]", OperationOutcome.IssueType.Required),
                ("patient", ResourceReference r) => r.Reference ?? throw FhirException.BadRequest("patient needs a reference (Patient/[id])", $"{at}.valueReference.reference", OperationOutcome.IssueType.Required),
                ("patient", var v) => throw WrongType(p.Name, "valueReference", v, at),
                ("_since", Instant or FhirDateTime) => ((PrimitiveType)p.Value).ToString()!,
                ("_since", var v) => throw WrongType(p.Name, "valueInstant", v, at),
                ("includeAssociatedData", Code or FhirString) => ((PrimitiveType)p.Value).ToString()!,
                ("includeAssociatedData", var v) => throw WrongType(p.Name, "valueCode", v, at),
                (_, FhirString s) => s.Value ?? "",
                (_, var v) => throw WrongType(p.Name, "valueString", v, at),
            };
            values.Add(new Value(p.Name, text, $"{at}.value{(p.Value is ResourceReference ? ".reference" : "")}"));
        }
        return new ExportKickOff(values, IsLenient(request));
    }

    private static FhirException WrongType(string name, string expected, DataType value, string at) =>
        FhirException.BadRequest($"$export parameter '{name}' takes {expected}, not value{value.TypeName[..1].ToUpperInvariant()}{value.TypeName[1..]}", $"{at}.value[x]");

    private static bool IsLenient(HttpRequest request) =>
        request.Headers["Prefer"].Any(h => (h ?? "").Split([',', ';']).Any(t => t.Replace(" ", "") == "handling=lenient"));

    /// <summary>
    /// Checks every parameter for an export at <paramref name="level"/> whose types may be <paramref name="allowed"/>;
    /// without <c>_type</c> it exports <paramref name="byDefault"/>.
    /// </summary>
    public async System.Threading.Tasks.Task CheckAsync(ExportLevel level, IReadOnlyList<string> allowed, IReadOnlyList<string> byDefault,
        ConditionalMatch conditional, CancellationToken ct)
    {
        foreach (var v in _values)
            if (v.Name is not ("_outputFormat" or "_since" or "_type" or "_typeFilter" or "_elements" or "patient" or "includeAssociatedData"))
                throw FhirException.BadRequest(
                    $"'{v.Name}' is not a parameter of $export (_outputFormat, _since, _type, _typeFilter, _elements, patient, includeAssociatedData)",
                    v.Location, OperationOutcome.IssueType.NotSupported);
        foreach (var name in new[] { "_outputFormat", "_since" })
            if (Of(name).Skip(1).FirstOrDefault() is { } second) throw FhirException.BadRequest($"$export takes at most one {name}", second.Location);

        if (Of("_outputFormat").FirstOrDefault() is { } format && !OutputFormats.Contains(format.Text))
            throw FhirException.BadRequest($"_outputFormat '{format.Text}' is not supported: use {BulkExport.NdjsonMediaType}", format.Location, OperationOutcome.IssueType.NotSupported);

        if (Of("_since").FirstOrDefault() is { } since)
        {
            if (!DateTimeOffset.TryParse(since.Text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) || !since.Text.Contains('T'))
                throw FhirException.BadRequest($"_since must be an instant with a time and zone (e.g. 2024-01-01T00:00:00Z), not '{since.Text}'", since.Location);
            Since = instant;
        }

        Types = byDefault;
        var typeValues = Of("_type").ToList();
        if (typeValues.Count > 0)
        {
            var asked = new List<string>();
            foreach (var v in typeValues)
                foreach (var t in Split(v.Text))
                {
                    if (!ResourceTypes.Served.Contains(t)) throw FhirException.BadRequest($"_type: '{t}' is not a resource type this server serves", v.Location);
                    if (!allowed.Contains(t)) throw FhirException.BadRequest($"_type: no {t} can be in a Patient compartment, so a {level}-level export has none", v.Location);
                    if (!asked.Contains(t)) asked.Add(t);
                }
            Types = asked;
        }

        TypeFilters = await TypeFiltersAsync(conditional, ct);
        Elements = CheckElements();
        Patients = CheckPatients(level);

        foreach (var v in Of("includeAssociatedData"))
            foreach (var code in Split(v.Text))
            {
                if (!AssociatedData.Contains(code) && !code.StartsWith('_'))
                    throw FhirException.BadRequest($"includeAssociatedData '{code}' is not a code of {ProvenanceValueSet} (nor a custom '_' code)", v.Location, OperationOutcome.IssueType.CodeInvalid);
                var message = $"includeAssociatedData '{code}' is not supported by this server: Provenance is exported like any other type (ask for it in _type)";
                if (!_lenient) throw FhirException.BadRequest(message + "; send 'Prefer: handling=lenient' to export without it", v.Location, OperationOutcome.IssueType.NotSupported);
                Issues.Add(new ExportIssue("warning", "not-supported", message + "; ignored (handling=lenient)", v.Location));
            }
    }

    private async Task<IReadOnlyList<string>> TypeFiltersAsync(ConditionalMatch conditional, CancellationToken ct)
    {
        var filters = new List<string>();
        foreach (var v in Of("_typeFilter"))
        {
            var (type, criteria) = ExportJob.SplitTypeFilter(v.Text);
            if (!ResourceTypes.Served.Contains(type))
                throw FhirException.BadRequest($"_typeFilter '{v.Text}' must start with a resource type and '?' (e.g. Observation?status=final)", v.Location);
            if (!Types.Contains(type))
                throw FhirException.BadRequest($"_typeFilter '{v.Text}' is for {type}, which this export does not include", v.Location);
            try
            {
                await conditional.ParseAsync(type, criteria, v.Location, ct); // refuse bad criteria now, not in the job
            }
            catch (FhirException) when (_lenient)
            {
                // The runner finds the same problem, leaves the type out and says why in the error file.
            }
            filters.Add(v.Text);
        }
        return filters;
    }

    /// <summary>_elements: root elements only, "element" or "Type.element", each an element of some exported type.</summary>
    private IReadOnlyList<string> CheckElements()
    {
        var elements = new List<string>();
        foreach (var v in Of("_elements"))
            foreach (var e in Split(v.Text))
            {
                var parts = e.Split('.');
                if (parts.Length > 2 || parts.Any(p => p.Length == 0))
                    throw FhirException.BadRequest($"_elements '{e}': only root elements ('element' or 'Type.element') can be listed", v.Location);
                var (type, element) = parts.Length == 2 ? (parts[0], parts[1]) : ((string?)null, parts[0]);
                if (type is not null && !Types.Contains(type))
                    throw FhirException.BadRequest($"_elements '{e}': {type} is not a type of this export", v.Location);
                if (!(type is null ? Types : [type]).Any(t => ElementSubset.IsElementOf(t, element)))
                    throw FhirException.BadRequest($"_elements '{e}': '{element}' is not an element of {type ?? "any exported type"}", v.Location);
                elements.Add(e);
            }
        return elements;
    }

    private IReadOnlyList<string>? CheckPatients(ExportLevel level)
    {
        var values = Of("patient").ToList();
        if (values.Count == 0) return null;
        if (level == ExportLevel.System)
            throw FhirException.BadRequest("patient applies to Patient- and Group-level exports, not to the system level", values[0].Location, OperationOutcome.IssueType.NotSupported);
        var ids = new List<string>();
        foreach (var v in values)
            foreach (var reference in Split(v.Text))
            {
                var parts = reference.Split('/');
                if (parts is not ["Patient", var id] || !ResourceTypes.IsValidId(id))
                    throw FhirException.BadRequest($"patient '{reference}' must be a reference Patient/[id]", v.Location);
                if (!ids.Contains(id)) ids.Add(id);
            }
        return ids;
    }

    private IEnumerable<Value> Of(string name) => _values.Where(v => v.Name == name);

    private static string[] Split(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
