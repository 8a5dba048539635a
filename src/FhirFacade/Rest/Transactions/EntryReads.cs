using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Rest.Operations;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCare.FhirFacade.Rest.Transactions;

/// <summary>
/// GET and HEAD entries of a batch or transaction, answered by the same handlers as the HTTP endpoints on a
/// sub-request whose response is captured: every read, search, history and operation behaves exactly as over HTTP.
/// </summary>
public static class EntryReads
{
    /// <summary>The handler for a GET path, or null when no read endpoint has that shape.</summary>
    public static Func<HttpContext, Task>? Route(string[] path)
    {
        T S<T>(HttpContext c) where T : notnull => c.RequestServices.GetRequiredService<T>();
        return path switch
        {
            [] => c => SearchInteraction.SystemAsync(c, S<IFhirStore>(c), S<SearchQueryParser>(c), S<BaseUrl>(c)),
            ["metadata"] => c => Capabilities.HandleAsync(c, S<Capabilities>(c)),
            ["_history"] => c => History.SystemAsync(c, S<IFhirStore>(c), S<BaseUrl>(c)),
            [var type] => c => SearchInteraction.TypeAsync(c, type, S<IFhirStore>(c), S<SearchQueryParser>(c), S<BaseUrl>(c)),
            [var type, "_history"] => c => History.TypeAsync(c, type, S<IFhirStore>(c), S<BaseUrl>(c)),
            [var type, var id] => c => Read.HandleAsync(c, type, id, S<IFhirStore>(c)),
            [var type, var id, "_history"] => c => History.InstanceAsync(c, type, id, S<IFhirStore>(c), S<BaseUrl>(c)),
            [var type, var id, "_history", var vid] => c => VRead.HandleAsync(c, type, id, vid, S<IFhirStore>(c)),
            ["Patient", var id, "$everything"] => c => PatientEverything.InstanceAsync(c, id, S<PatientRecords>(c), S<BaseUrl>(c)),
            [var compartment, var id, var type] => c => SearchInteraction.CompartmentAsync(c, compartment, id, type,
                S<IFhirStore>(c), S<SearchQueryParser>(c), S<Compartments>(c), S<BaseUrl>(c)),
            _ => null,
        };
    }

    /// <summary>Whether the entry reads one resource by id or version ([type]/[id], [type]/[id]/_history/[vid]).</summary>
    public static bool ReadsById(EntryRequest entry) => entry.Path is [_, _] or [_, _, "_history", _]
        && entry.Path[0] is not ("_history" or "metadata") && entry.Path[1] != "_history";

    /// <summary>
    /// Runs the entry's GET or HEAD. With <paramref name="view"/>, reads by id and version see that view of the store
    /// (a transaction's own writes before its commit) instead of the store.
    /// </summary>
    public static async Task<EntryResponse> ReadAsync(HttpContext outer, EntryRequest entry, IFhirStore? view = null)
    {
        var handler = (view, entry.Path) switch
        {
            ({ } v, [var type, var id]) when ReadsById(entry) => c => Read.HandleAsync(c, type, id, v),
            ({ } v, [var type, var id, "_history", var vid]) when ReadsById(entry) => c => VRead.HandleAsync(c, type, id, vid, v),
            _ => Route(entry.Path) ?? throw NoEndpoint(entry),
        };
        Demand(Security.AccessPolicy.Of(outer), entry.Path);
        var sub = new DefaultHttpContext { RequestServices = outer.RequestServices, RequestAborted = outer.RequestAborted, User = outer.User };
        sub.Items[typeof(Security.AccessPolicy)] = Security.AccessPolicy.Of(outer);
        var request = sub.Request;
        request.Method = "GET";
        request.Scheme = outer.Request.Scheme;
        request.Host = outer.Request.Host;
        request.PathBase = outer.Request.PathBase;
        request.Path = "/" + string.Join('/', entry.Path.Select(Uri.EscapeDataString));
        request.QueryString = new QueryString(entry.Query.Length > 1 ? entry.Query : "");
        request.Query = new QueryCollection(QueryHelpers.ParseQuery(entry.Query));
        request.Headers.Accept = "application/fhir+json";
        if (entry.IfNoneMatch is { } etag) request.Headers.IfNoneMatch = etag;
        if (entry.IfModifiedSince is { } since) request.Headers.IfModifiedSince = since.ToString("R");
        using var body = new MemoryStream();
        sub.Response.Body = body;
        await handler(sub);
        await sub.Response.BodyWriter.FlushAsync(outer.RequestAborted);

        var response = sub.Response;
        var status = response.StatusCode;
        var json = body.Length > 0 && entry.Method != Hl7.Fhir.Model.Bundle.HTTPVerb.HEAD ? body.ToArray() : null;
        return new EntryResponse(BundleProcessor.StatusText(status),
            ETag: NullIfEmpty(response.Headers.ETag.ToString()),
            LastModified: DateTimeOffset.TryParse(response.Headers.LastModified.ToString(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var modified) ? modified : null,
            Resource: json is null ? null : (ReadOnlyMemory<byte>?)json); // (a null byte[] would become empty Memory, not null)
    }

    /// <summary>The scope check the HTTP endpoint of the same shape gets from its metadata (see Security/AccessFilter.cs).</summary>
    private static void Demand(Security.AccessPolicy policy, string[] path)
    {
        var interaction = path switch
        {
            [] or ["_history"] => new FhirInteraction(SystemLevel: Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction.SearchSystem),
            ["metadata"] => null,
            [_] or [_, _, _] when path.Length == 1 || path[2] != "_history" && path[2] != "$everything" => new FhirInteraction(Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction.SearchType),
            [_, "_history"] => new FhirInteraction(Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction.HistoryType),
            _ => new FhirInteraction(Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction.Read),
        };
        if (interaction is not null) Security.AccessFilter.Demand(policy, interaction, path.Length == 3 && path[2] is not ("_history" or "$everything") ? path[2] : path.FirstOrDefault());
    }

    public static FhirException NoEndpoint(EntryRequest entry) =>
        FhirException.BadRequest($"No read endpoint has the shape of '{entry.Url}'", $"{entry.Location}.request.url", Hl7.Fhir.Model.OperationOutcome.IssueType.NotSupported);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
