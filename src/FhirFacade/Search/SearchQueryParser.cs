using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Search.Parameters;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search;

/// <summary>The outcome of parsing a query string: the query, plus what was left out and why (lenient handling).</summary>
public sealed record ParsedSearch(
    SearchQuery Query,
    IReadOnlyList<KeyValuePair<string, string>> Used,
    IReadOnlyList<(string Parameter, string Reason)> Ignored);

/// <summary>
/// Turns query parameters into a storage-neutral <see cref="SearchQuery"/> (search.html). Repeated parameters AND,
/// commas OR. Unknown or unsupported parameters are errors under <c>Prefer: handling=strict</c>, otherwise ignored
/// and reported.
/// </summary>
public sealed class SearchQueryParser(SearchParameterRegistry registry, SearchOptions options)
{
    /// <summary>Parameters that shape the response, not the match; the REST layer reads them.</summary>
    private static readonly HashSet<string> ResultParameters = ["_format", "_pretty", "_summary", "_elements"];

    public ParsedSearch Parse(string type, IEnumerable<KeyValuePair<string, string>> parameters, bool strict)
    {
        var conditions = new List<SearchExpression>();
        var used = new List<KeyValuePair<string, string>>();
        var ignored = new List<(string, string)>();
        var sort = new List<SortKey>();
        int count = options.DefaultCount, offset = 0;
        var total = TotalMode.None;
        var includes = new List<IncludeSpec>();
        string? cursor = null;

        foreach (var (name, value) in parameters)
        {
            try
            {
                switch (name)
                {
                    case var n when ResultParameters.Contains(n):
                        used.Add(new(name, value));
                        continue;
                    case "_count":
                        count = ParseCount(value);
                        break;
                    case "_cursor":
                        cursor = value;
                        continue; // a paging position, not part of the search: not echoed in links
                    case "_offset" or "_getpagesoffset":
                        if (!int.TryParse(value, out offset) || offset < 0)
                            throw new SearchParseException($"{name} must be a non-negative whole number, not '{value}'", name);
                        break;
                    case "_total":
                        total = value switch
                        {
                            "none" => TotalMode.None, "estimate" => TotalMode.Estimate, "accurate" => TotalMode.Accurate,
                            _ => throw new SearchParseException($"_total must be none, estimate or accurate, not '{value}'", name),
                        };
                        break;
                    case "_sort":
                        sort.AddRange(ParseSort(type, value));
                        break;
                    case "_include" or "_include:iterate" or "_include:recurse" or "_revinclude" or "_revinclude:iterate" or "_revinclude:recurse":
                        includes.AddRange(SplitOr(value).Select(v => ParseInclude(type, name, v)));
                        break;
                    case "_contained" or "_containedType" or "_text" or "_content" or "_query" or "_filter" or "_list":
                        throw new UnknownParameterException($"{name} is not supported by this server", name);
                    default:
                        conditions.Add(ParseCondition(type, name, value));
                        break;
                }
                used.Add(new(name, value));
            }
            catch (SearchParseException e) when (!strict && e is UnknownParameterException)
            {
                ignored.Add((name, e.Message));
            }
        }

        var filter = conditions.Count switch { 0 => null, 1 => conditions[0], _ => new AllOf(conditions) };
        var query = new SearchQuery(type, filter, sort, count, offset, total) { Includes = includes, Cursor = cursor };
        return new ParsedSearch(query, used, ignored);
    }

    /// <summary>
    /// A search across types (http.html#search: [base]?_type=A,B&amp;…): each type's parameters are parsed for that
    /// type and OR-ed; without _type only the parameters every resource has (_id, _lastUpdated, _tag…) apply.
    /// Sorting is by _id or _lastUpdated, the keys every type shares.
    /// </summary>
    public ParsedSearch ParseSystem(IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict)
    {
        var typeValues = parameters.Where(p => p.Key == "_type").SelectMany(p => p.Value.Split(',', StringSplitOptions.TrimEntries)).ToList();
        foreach (var t in typeValues)
            if (!ModelInfo.IsKnownResource(t) || t is "Resource" or "DomainResource")
                throw new SearchParseException($"_type: '{t}' is not a resource type", "_type");
        var rest = parameters.Where(p => p.Key != "_type").ToList();
        foreach (var (name, value) in rest)
            if (name == "_sort" && value.Split(',').Any(k => k.TrimStart('-') is not ("_id" or "_lastUpdated")))
                throw new SearchParseException("A search across types sorts by _id or _lastUpdated only", "_sort");
        if (typeValues.Count == 0)
        {
            var common = Parse("Resource", rest, strict);
            return common with { Query = common.Query with { ResourceType = null } };
        }

        var perType = typeValues.Distinct().Select(t => (Type: t, Parsed: Parse(t, rest, strict))).ToList();
        var first = perType[0].Parsed;
        var filter = new AnyOf(perType.Select(p => p.Parsed.Query.Filter is { } f
            ? (SearchExpression)new AllOf([new TypeCondition(p.Type), f])
            : new TypeCondition(p.Type)).ToList());
        var used = first.Used.Prepend(new KeyValuePair<string, string>("_type", string.Join(',', typeValues))).ToList();
        return new ParsedSearch(first.Query with { ResourceType = null, Filter = filter }, used, perType.SelectMany(p => p.Parsed.Ignored).Distinct().ToList());
    }

    private int ParseCount(string value)
    {
        if (!int.TryParse(value, out var count) || count < 0)
            throw new SearchParseException($"_count must be a non-negative whole number, not '{value}'", "_count");
        if (count > options.MaxCount)
            throw new SearchParseException($"_count may be at most {options.MaxCount}, not {count}", "_count");
        return count;
    }

    /// <summary><c>_include=Source:param[:Target]</c> or <c>*</c>; without :iterate the source must be the searched type.</summary>
    private IncludeSpec ParseInclude(string type, string name, string value)
    {
        var reverse = name.StartsWith("_revinclude", StringComparison.Ordinal);
        var iterate = name.Contains(':');
        if (value == "*" && !reverse) return new IncludeSpec(false, type, null, null, iterate);
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || !ModelInfo.IsKnownResource(parts[0]))
            throw new SearchParseException($"{name} takes [type]:[parameter][:target type], not '{value}'", name);
        var (source, code) = (parts[0], parts[1]);
        var target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !ModelInfo.IsKnownResource(target))
            throw new SearchParseException($"{name}: '{target}' is not a resource type", name);
        if (!reverse && !iterate && source != type)
            throw new SearchParseException($"{name}={value} starts at {source}, but the search is for {type} (use {name}:iterate)", name);
        if (code == "*") return new IncludeSpec(reverse, source, null, target, iterate);
        var p = registry.Find(source, code);
        if (p is null || p.Type != SearchParamType.Reference)
            throw new SearchParseException($"{name}: '{code}' is not a reference search parameter of {source}", name);
        if (target is not null && p.Targets.Count > 0 && !p.Targets.Contains(target))
            throw new SearchParseException($"{name}: {source}.{code} cannot refer to {target}", name);
        return new IncludeSpec(reverse, source, p.IndexKey, target, iterate);
    }

    private IEnumerable<SortKey> ParseSort(string type, string value)
    {
        foreach (var raw in value.Split(','))
        {
            var descending = raw.StartsWith('-');
            var code = descending ? raw[1..] : raw;
            if (code is "_id" or "_lastUpdated") { yield return new SortKey(code, null, descending); continue; }
            var p = registry.Find(type, code);
            if (p?.IndexKind is not { } kind || kind == IndexKind.Reference)
                throw new SearchParseException($"Cannot sort {type} by '{code}': not a sortable search parameter of {type}", "_sort");
            yield return new SortKey(p.IndexKey, kind, descending);
        }
    }

    /// <summary>One parameter occurrence: "name[:modifier]" or a chain "ref[:Type].name", with comma-separated ORs.</summary>
    public SearchExpression ParseCondition(string type, string name, string value)
    {
        if (name.StartsWith("_has:", StringComparison.Ordinal)) return ParseHas(type, name, value);

        var dot = name.IndexOf('.');
        if (dot > 0) return ParseChain(type, name[..dot], name[(dot + 1)..], value);

        var colon = name.IndexOf(':');
        var code = colon < 0 ? name : name[..colon];
        var modifier = colon < 0 ? null : name[(colon + 1)..];
        if (value.Length == 0) throw new SearchParseException($"Parameter '{name}' has no value", name);

        if (code == "_id" && modifier is null) return new IdCondition(SplitOr(value));
        if (code == "_lastUpdated" && modifier is null) return Or(SplitOr(value).Select(DateParameter.ParseLastUpdated).ToList());

        var p = registry.Find(type, code)
            ?? throw new UnknownParameterException($"'{code}' is not a search parameter of {type}", name);
        if (modifier == "missing")
        {
            if (value is not ("true" or "false")) throw new SearchParseException($":missing takes true or false, not '{value}'", name);
            return new MissingCondition(p.IndexKey, p.IndexKind!.Value, value == "true");
        }
        return Or(SplitOr(value).Select(v => ParseValue(p, modifier, v, name)).ToList());
    }

    private static SearchExpression ParseValue(SearchParameterDefinition p, string? modifier, string value, string name)
    {
        try
        {
            return p.Type switch
            {
                SearchParamType.String => StringParameter.Parse(p.IndexKey, modifier, TokenParameter.Unescape(value)),
                SearchParamType.Token => TokenParameter.Parse(p.IndexKey, modifier, value),
                SearchParamType.Reference => ReferenceParameter.Parse(p.IndexKey, modifier, TokenParameter.Unescape(value)),
                SearchParamType.Date => DateParameter.Parse(p.IndexKey, modifier, value),
                SearchParamType.Number => NumberParameter.Parse(p.IndexKey, modifier, value, quantity: false),
                SearchParamType.Quantity => NumberParameter.Parse(p.IndexKey, modifier, value, quantity: true),
                SearchParamType.Uri => UriParameter.Parse(p.IndexKey, modifier, TokenParameter.Unescape(value)),
                SearchParamType.Composite => CompositeParameter.Parse(p, modifier, value),
                _ => throw new SearchParseException($"Search parameter type {p.Type} is not supported", name),
            };
        }
        catch (SearchParseException e) when (e.Parameter is null)
        {
            throw new SearchParseException(e.Message, name);
        }
    }

    private SearchExpression ParseChain(string type, string head, string rest, string value)
    {
        var colon = head.IndexOf(':');
        var code = colon < 0 ? head : head[..colon];
        var targetType = colon < 0 ? null : head[(colon + 1)..];
        var p = registry.Find(type, code) ?? throw new UnknownParameterException($"'{code}' is not a search parameter of {type}", head);
        if (p.Type != SearchParamType.Reference)
            throw new SearchParseException($"'{code}' is a {p.Type.ToString().ToLowerInvariant()} parameter: only reference parameters can be chained", head);
        var targets = targetType is not null ? [targetType] : p.Targets;
        if (targetType is not null && !p.Targets.Contains(targetType))
            throw new SearchParseException($"{type}.{code} cannot refer to {targetType}", head);
        var chained = new List<SearchExpression>();
        foreach (var target in targets)
        {
            var nextCode = rest.Split(['.', ':'])[0];
            if (registry.Find(target, nextCode) is null && nextCode is not ("_id" or "_lastUpdated")) continue;
            chained.Add(new ChainCondition(p.IndexKey, target, ParseCondition(target, rest, value)));
        }
        if (chained.Count == 0)
            throw new SearchParseException($"No target type of {type}.{code} has a search parameter '{rest}'", head);
        return Or(chained);
    }

    /// <summary><c>_has:Type:ref:param=value</c>, where param may itself be another _has.</summary>
    private SearchExpression ParseHas(string type, string name, string value)
    {
        var parts = name.Split(':', 4);
        if (parts.Length < 4 || !ModelInfo.IsKnownResource(parts[1]))
            throw new SearchParseException("_has takes _has:[type]:[reference parameter]:[parameter]=[value]", name);
        var (source, refCode, rest) = (parts[1], parts[2], parts[3]);
        var p = registry.Find(source, refCode);
        if (p is null || p.Type != SearchParamType.Reference)
            throw new SearchParseException($"'{refCode}' is not a reference search parameter of {source}", name);
        return new ReverseChainCondition(source, p.IndexKey, ParseCondition(source, rest, value));
    }

    private static SearchExpression Or(IReadOnlyList<SearchExpression> parts) => parts.Count == 1 ? parts[0] : new AnyOf(parts);

    /// <summary>Splits on commas that are not escaped with a backslash.</summary>
    private static List<string> SplitOr(string value)
    {
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\') { i++; continue; }
            if (value[i] != ',') continue;
            parts.Add(value[start..i]);
            start = i + 1;
        }
        parts.Add(value[start..]);
        return parts;
    }
}

public sealed class UnknownParameterException(string message, string parameter) : SearchParseException(message, parameter);

public sealed class SearchOptions
{
    public int DefaultCount { get; set; } = 20;
    public int MaxCount { get; set; } = 1000;

    /// <summary>
    /// Off only to measure what indexing costs (the index-cost benchmark): resources written meanwhile are not
    /// searchable by parameter until the next start with indexing on, which re-indexes them.
    /// </summary>
    public bool IndexOnWrite { get; set; } = true;
}
