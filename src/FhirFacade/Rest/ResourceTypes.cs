using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest;

/// <summary>The resource types served on REST endpoints, and the rules for ids (datatypes.html#id).</summary>
public static partial class ResourceTypes
{
    /// <summary>Every concrete R4 resource type except Parameters, which has no REST endpoint.</summary>
    public static readonly FrozenSet<string> Served = ModelInfo.SupportedResources
        .Where(t => ModelInfo.GetTypeForFhirType(t) is { IsAbstract: false } && t != "Parameters")
        .ToFrozenSet(StringComparer.Ordinal);

    public static string Require(string type) =>
        Served.Contains(type)
            ? type
            : throw FhirException.Of(404, OperationOutcome.IssueType.NotSupported, $"'{type}' is not a resource type this server serves");

    /// <summary>
    /// Types the API only reads: AuditEvents are written by the server itself (Audit/), so no client can make, change
    /// or remove the record of what it did.
    /// </summary>
    public static readonly FrozenSet<string> ReadOnly = FrozenSet.ToFrozenSet(["AuditEvent"], StringComparer.Ordinal);

    /// <summary>A served type that clients may write; 405 for the read-only ones.</summary>
    public static string RequireWritable(string type, string? expression = null)
    {
        Require(type);
        return ReadOnly.Contains(type)
            ? throw FhirException.Of(405, OperationOutcome.IssueType.Forbidden, $"{type} resources are read-only: the server records them itself", expression)
            : type;
    }

    public static string RequireId(string id) =>
        IdPattern().IsMatch(id)
            ? id
            : throw FhirException.BadRequest($"'{id}' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)", "id");

    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();
}
