using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// Patient/$everything (patient-operation-everything.html, OperationDefinition Patient-everything): the patient's
/// compartment plus the resources it references (Practitioner, Organization, Location, Medication…), as a searchset
/// streamed from the store page by page. <c>_since</c>, <c>_type</c>; <c>_count</c> pages the instance level with
/// a <c>_cursor</c>. The type level streams every patient's record in one Bundle. <c>start</c>/<c>end</c> (care dates)
/// are not supported and refused.
/// </summary>
public static class PatientEverything
{
    /// <summary>Ours (profiles/OperationDefinition-Patient-everything.json), based on the standard one; it says how ours differs.</summary>
    public const string Definition = "https://fhircare.org/fhir/OperationDefinition/Patient-everything";

    private const int PageSize = 200;

    public static async Task InstanceAsync(HttpContext context, string id, PatientRecords records, BaseUrl baseUrl)
    {
        ResourceTypes.RequireId(id);
        var shape = ResponseShape.From(context.Request);
        var options = Parse(context.Request, records, instance: true);
        var store = context.RequestServices.GetRequiredService<IFhirStore>();
        var patient = await AccessPolicy.Of(context).ReadAsync(store, "Patient", id, context.RequestAborted) ?? throw FhirException.NotFound($"Patient/{id} is not known");
        if (patient.Deleted) throw Read.Gone(patient);

        var root = baseUrl.Of(context.Request);
        var self = $"{root}/Patient/{id}/$everything";
        var bundle = new BundleResponse(Bundle.BundleType.Searchset, root);
        if (options.Count is not { } count)
        {
            bundle = new BundleResponse(Bundle.BundleType.Searchset, root) { Streamed = StreamAsync(records, [id], options, AccessPolicy.Of(context), context.RequestAborted) };
            bundle.Links.Add(("self", self + context.Request.QueryString));
            await bundle.WriteAsync(context, shape);
            return;
        }

        // Paged: one page is at most _count matches (plus what they reference), resumed from a (type, store cursor) position.
        var (typeIndex, cursor) = options.Cursor;
        var emitted = new HashSet<(string, string)>();
        var remaining = count;
        string? next = null;
        for (; typeIndex < options.Types.Count && remaining > 0; typeIndex++, cursor = null)
        {
            var type = options.Types[typeIndex];
            var page = await records.PageAsync(type, [id], options.Filter, cursor, remaining, withReferenced: true, context.RequestAborted, AccessPolicy.Of(context));
            Add(bundle.Entries, page, options, emitted);
            remaining -= page.Matches.Count;
            if (page.Next is not null) { next = Cursor(typeIndex, page.Next); break; }
            if (remaining == 0 && typeIndex + 1 < options.Types.Count) next = Cursor(typeIndex + 1, null);
        }
        var query = Query(context.Request);
        bundle.Links.Add(("self", $"{self}?{query}_count={count}" + (options.CursorText is { } c ? $"&_cursor={c}" : "")));
        if (next is not null) bundle.Links.Add(("next", $"{self}?{query}_count={count}&_cursor={next}"));
        await bundle.WriteAsync(context, shape);
    }

    public static async Task TypeAsync(HttpContext context, PatientRecords records, BaseUrl baseUrl)
    {
        var shape = ResponseShape.From(context.Request);
        var options = Parse(context.Request, records, instance: false);
        var root = baseUrl.Of(context.Request);
        var bundle = new BundleResponse(Bundle.BundleType.Searchset, root) { Streamed = AllPatientsAsync(records, options, AccessPolicy.Of(context), context.RequestAborted) };
        bundle.Links.Add(("self", $"{root}/Patient/$everything{context.Request.QueryString}"));
        await bundle.WriteAsync(context, shape);
    }

    private static async IAsyncEnumerable<BundleEntry> AllPatientsAsync(PatientRecords records, Options options, AccessPolicy access, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var ids in records.AllPatientIdsAsync(ct))
            await foreach (var e in StreamAsync(records, ids, options, access, ct))
                yield return e;
    }

    /// <summary>Every type's pages for these patients; referenced resources once each (per Bundle).</summary>
    private static async IAsyncEnumerable<BundleEntry> StreamAsync(PatientRecords records, IReadOnlyList<string> ids, Options options, AccessPolicy access,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var emitted = new HashSet<(string, string)>();
        foreach (var type in options.Types)
        {
            string? cursor = null;
            do
            {
                var page = await records.PageAsync(type, ids, options.Filter, cursor, PageSize, withReferenced: true, ct, access);
                var entries = new List<BundleEntry>();
                Add(entries, page, options, emitted);
                foreach (var e in entries) yield return e;
                cursor = page.Next;
            } while (cursor is not null);
        }
    }

    private static void Add(List<BundleEntry> entries, SearchPage page, Options options, HashSet<(string, string)> emitted)
    {
        foreach (var m in page.Matches)
            if (emitted.Add((m.Type, m.Id))) entries.Add(new BundleEntry(m, Bundle.SearchEntryMode.Match));
        // Referenced resources of compartment types come as matches if they are this patient's, and not at all otherwise.
        foreach (var i in page.Included)
            if (!options.CompartmentTypes.Contains(i.Type) && (options.TypeFilter is null || options.TypeFilter.Contains(i.Type)) && emitted.Add((i.Type, i.Id)))
                entries.Add(new BundleEntry(i, Bundle.SearchEntryMode.Include));
    }

    private sealed record Options(IReadOnlyList<string> Types, HashSet<string> CompartmentTypes, HashSet<string>? TypeFilter, SearchExpression? Filter, int? Count,
        (int Type, string? Store) Cursor, string? CursorText);

    private static Options Parse(HttpRequest request, PatientRecords records, bool instance)
    {
        var query = request.Query;
        foreach (var name in query.Keys)
            if (name is not ("_since" or "_type" or "_count" or "_cursor" or "_format" or "_pretty" or "_summary" or "_elements"))
                throw FhirException.BadRequest(name is "start" or "end"
                    ? $"$everything parameter '{name}' (care dates) is not supported by this server; use _since to limit by last update"
                    : $"'{name}' is not a parameter of $everything (supported: _since, _type, _count)", name, OperationOutcome.IssueType.NotSupported);
        SearchExpression? filter = null;
        if (query.TryGetValue("_since", out var since))
        {
            if (!DateTimeOffset.TryParse(since[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) || !since[0]!.Contains('T'))
                throw FhirException.BadRequest($"_since must be an instant with a time and zone (e.g. 2024-01-01T00:00:00Z), not '{since[0]}'", "_since");
            filter = new LastUpdatedCondition(Comparator.Ge, instant.UtcTicks, instant.UtcTicks);
        }
        HashSet<string>? typeFilter = null;
        var types = records.Types;
        if (query.TryGetValue("_type", out var typeValues))
        {
            typeFilter = typeValues.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
            foreach (var t in typeFilter)
                if (!ResourceTypes.Served.Contains(t)) throw FhirException.BadRequest($"_type: '{t}' is not a resource type this server serves", "_type");
            types = types.Where(typeFilter.Contains).ToList();
        }
        int? count = null;
        if (query.TryGetValue("_count", out var c))
        {
            if (!instance) throw FhirException.BadRequest("_count is supported on Patient/[id]/$everything; the type level streams every record in one Bundle", "_count", OperationOutcome.IssueType.NotSupported);
            if (!int.TryParse(c[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1000)
                throw FhirException.BadRequest($"_count must be a whole number from 1 to 1000, not '{c[0]}'", "_count");
            count = n;
        }
        var cursorText = query.TryGetValue("_cursor", out var cur) ? cur[0] : null;
        return new Options(types, records.Types.ToHashSet(), typeFilter, filter, count, cursorText is null ? (0, null) : ParseCursor(cursorText, types.Count), cursorText);
    }

    private static string Cursor(int typeIndex, string? storeCursor) =>
        WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"{typeIndex}:{storeCursor}"));

    private static (int, string?) ParseCursor(string text, int types)
    {
        try
        {
            var decoded = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(text));
            var colon = decoded.IndexOf(':');
            if (colon > 0 && int.TryParse(decoded[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t < types)
                return (t, colon + 1 < decoded.Length ? decoded[(colon + 1)..] : null);
        }
        catch (FormatException) { }
        throw FhirException.BadRequest("_cursor is not a paging position this server made", "_cursor");
    }

    /// <summary>The request's own parameters for paging links (without _count and _cursor), each followed by '&amp;'.</summary>
    private static string Query(HttpRequest request)
    {
        var sb = new StringBuilder();
        foreach (var (name, values) in request.Query)
            if (name is not ("_count" or "_cursor"))
                foreach (var v in values) sb.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(v ?? "")).Append('&');
        return sb.ToString();
    }
}
