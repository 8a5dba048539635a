using FhirCare.FhirFacade.Rest.Transactions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// batch and transaction: POST [base] with a Bundle of type batch or transaction (http.html#transaction), answered
/// with a batch-response or transaction-response whose entries are in the order of the request's.
/// </summary>
public static class BatchTransaction
{
    public static async Task HandleAsync(HttpContext context, ResourceBody body, BundleProcessor processor, BaseUrl baseUrl, IOptions<FhirOptions> options)
    {
        var shape = ResponseShape.From(context.Request); // a refused Accept/_format must refuse before anything is written
        var limits = options.Value;
        var format = ResponseShape.RequestFormat(context.Request);
        var bytes = await body.ReadBytesAsync(context.Request, context.RequestAborted, limits.MaxBundleBytes);
        if (ResourceBody.Parse(bytes, format) is not Bundle bundle)
            throw FhirException.BadRequest("POST [base] takes a Bundle of type batch or transaction", "resourceType");
        var isTransaction = bundle.Type switch
        {
            Bundle.BundleType.Transaction => true,
            Bundle.BundleType.Batch => false,
            _ => throw FhirException.BadRequest($"POST [base] takes a Bundle of type batch or transaction, not {bundle.TypeElement?.JsonValue ?? "none"}", "Bundle.type",
                bundle.Type is null ? OperationOutcome.IssueType.Required : OperationOutcome.IssueType.Invalid),
        };
        Audit.AuditFacts.Note(context, isTransaction ? "transaction" : "batch");
        if (bundle.Entry.Count > limits.MaxBundleEntries)
            throw FhirException.Of(413, OperationOutcome.IssueType.TooCostly,
                $"The Bundle has {bundle.Entry.Count} entries; at most {limits.MaxBundleEntries} are accepted", "Bundle.entry");

        var root = baseUrl.Of(context.Request);
        var entries = bundle.Entry.Select((e, i) => EntryRequest.Parse(e, i, root)).ToList();
        var duplicate = entries.Where(e => e.FullUrl is not null).GroupBy(e => e.FullUrl).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw FhirException.BadRequest($"The fullUrl {duplicate.Key} appears on entries {string.Join(" and ", duplicate.Select(e => e.Index))}; fullUrls must be unique",
                $"Bundle.entry[{duplicate.Last().Index}].fullUrl", OperationOutcome.IssueType.Duplicate);

        var responses = isTransaction ? await processor.TransactionAsync(context, entries) : await processor.BatchAsync(context, entries);
        var result = new BundleResponse(isTransaction ? Bundle.BundleType.TransactionResponse : Bundle.BundleType.BatchResponse, root);
        result.Responses.AddRange(responses);
        await result.WriteAsync(context, shape);
    }
}
