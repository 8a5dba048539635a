using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// An operation's input parameters (operations.html#request): from the query string on GET, or from a Parameters body
/// on POST (primitive values as strings, resources as resources). Every accessor answers a precise 400 naming the
/// parameter; <see cref="RequireKnown"/> refuses names the operation does not define.
/// </summary>
public sealed class OperationInput
{
    private static readonly HashSet<string> ResponseParameters = ["_format", "_pretty"];
    private readonly List<(string Name, string? Value, Resource? Resource)> _values;

    private OperationInput(List<(string, string?, Resource?)> values) => _values = values;

    public static async Task<OperationInput> ReadAsync(HttpRequest request, ResourceBody body, CancellationToken ct)
    {
        var values = request.Query
            .Where(kv => !ResponseParameters.Contains(kv.Key))
            .SelectMany(kv => kv.Value.Select(v => (kv.Key, (string?)v, (Resource?)null))).ToList();
        if (!HttpMethods.IsPost(request.Method)) return new OperationInput(values);
        if (await body.ReadResourceAsync(request, ct) is not Parameters parameters)
            throw FhirException.BadRequest("The body of an operation must be a Parameters resource", "Parameters", OperationOutcome.IssueType.Structure);
        for (var i = 0; i < parameters.Parameter.Count; i++)
        {
            var p = parameters.Parameter[i];
            if (p.Part.Count > 0) throw FhirException.BadRequest($"Parameter '{p.Name}' must not have parts", $"Parameters.parameter[{i}]");
            var value = p.Value switch
            {
                null => null,
                PrimitiveType primitive => primitive.ToString(),
                ResourceReference reference => reference.Reference,
                _ => throw FhirException.BadRequest($"Parameter '{p.Name}' has a value of type {p.Value.TypeName}, which this operation does not take", $"Parameters.parameter[{i}].value"),
            };
            values.Add((p.Name, value, p.Resource));
        }
        return new OperationInput(values);
    }

    public void RequireKnown(IReadOnlySet<string> known, IReadOnlySet<string> notSupported)
    {
        foreach (var (name, _, _) in _values)
        {
            if (notSupported.Contains(name))
                throw FhirException.BadRequest($"Parameter '{name}' is not supported by this server", name, OperationOutcome.IssueType.NotSupported);
            if (!known.Contains(name))
                throw FhirException.BadRequest($"Unknown parameter '{name}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})", name, OperationOutcome.IssueType.NotSupported);
        }
    }

    public IReadOnlyList<string> All(string name) =>
        _values.Where(v => v.Name == name)
            .SelectMany(v => string.IsNullOrWhiteSpace(v.Value) ? throw FhirException.BadRequest($"Parameter '{name}' has no value", name) : v.Value.Split(',', StringSplitOptions.TrimEntries))
            .Select(v => v.Length > 0 ? v : throw FhirException.BadRequest($"Parameter '{name}' has an empty value in its list", name)).ToList();

    public string? Single(string name)
    {
        var all = _values.Where(v => v.Name == name).ToList();
        if (all.Count > 1) throw FhirException.BadRequest($"Parameter '{name}' may be given only once", name);
        if (all.Count == 1 && string.IsNullOrWhiteSpace(all[0].Value)) throw FhirException.BadRequest($"Parameter '{name}' has no value", name);
        return all.Count == 0 ? null : all[0].Value!.Trim();
    }

    public T? Resource<T>(string name) where T : Resource
    {
        var all = _values.Where(v => v.Name == name).ToList();
        if (all.Count > 1) throw FhirException.BadRequest($"Parameter '{name}' may be given only once", name);
        if (all.Count == 0) return null;
        return all[0].Resource as T ?? throw FhirException.BadRequest($"Parameter '{name}' must carry a {typeof(T).Name} resource", name);
    }

    /// <summary>A required FHIR date (YYYY, YYYY-MM or YYYY-MM-DD; a partial start means its first day, a partial end its last).</summary>
    public DateOnly Date(string name, bool end)
    {
        var value = Single(name) ?? throw FhirException.BadRequest($"Parameter '{name}' is required", name, OperationOutcome.IssueType.Required);
        // A dateTime is accepted for its date: some clients send periodEnd as 2024-12-31T23:59:59.
        var date = value.Length > 10 && value[10] == 'T' ? value[..10] : value;
        string[] formats = ["yyyy-MM-dd", "yyyy-MM", "yyyy"];
        if (!System.Text.RegularExpressions.Regex.IsMatch(date, @"^\d{4}(-\d{2}(-\d{2})?)?$")
            || !DateOnly.TryParseExact(date, formats, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)
            || (value.Length > 10 && !Hl7.Fhir.ElementModel.Types.DateTime.TryParse(value, out _)))
            throw FhirException.BadRequest($"Parameter '{name}' must be a FHIR date (YYYY-MM-DD), not '{value}'", name);
        if (!end) return parsed;
        return date.Length switch
        {
            4 => new DateOnly(parsed.Year, 12, 31),
            7 => new DateOnly(parsed.Year, parsed.Month, DateTime.DaysInMonth(parsed.Year, parsed.Month)),
            _ => parsed,
        };
    }
}
