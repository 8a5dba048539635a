using System.Collections.Concurrent;
using System.Collections.Frozen;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>
/// Which logical partition a resource lives in (docs/cosmos.md): a Patient in its own, a resource of the Patient
/// compartment in its member's, everything else alone. Keeps the invariant that makes compartment searches
/// single-partition: every resource in Patient/p's compartment lives in partition Patient/p.
/// </summary>
internal sealed class CosmosPartitions(Compartments compartments)
{
    private const string Patient = "Patient";
    private readonly ConcurrentDictionary<string, FrozenSet<string>> _memberParams = new();

    /// <summary>The index keys that put a resource of <paramref name="type"/> into a patient's compartment (empty: none).</summary>
    public FrozenSet<string> MemberParams(string type) => _memberParams.GetOrAdd(type, t =>
    {
        var keys = new List<string>();
        void Collect(SearchExpression? e)
        {
            if (e is ReferenceCondition r) keys.Add(r.Param);
            else if (e is AnyOf any) foreach (var o in any.Operands) Collect(o);
        }
        if (t != Patient) Collect(compartments.Membership(Patient, "_", t));
        return keys.ToFrozenSet();
    });

    /// <summary>Resources of this type may live in a member's partition, so a read by id needs their locator.</summary>
    public bool NeedsLocator(string type) => MemberParams(type).Count > 0;

    /// <summary>Where a resource lives when its home is fixed by its type and id alone (no locator), else null.</summary>
    public string? FixedHome(string type, string id) => NeedsLocator(type) ? null : CosmosDocuments.OwnPartition(type, id);

    /// <summary>
    /// The member partition a compartment resource must live in, from the patients its new version refers to through
    /// compartment parameters: null when it names none; refused when it names several.
    /// </summary>
    public string? MemberHome(ResourceWrite write)
    {
        var parameters = MemberParams(write.Type);
        var patients = write.Index.OfType<ReferenceIndexValue>()
            .Where(r => r.TargetType == Patient && r.TargetId is { Length: > 0 } && parameters.Contains(r.Param))
            .Select(r => r.TargetId!).Distinct().ToList();
        return patients.Count switch
        {
            0 => null,
            1 => CosmosDocuments.OwnPartition(Patient, patients[0]),
            _ => throw Refused($"{write.Type}/{write.Id} refers to several patients ({string.Join(", ", patients.Select(p => "Patient/" + p))}) through its compartment parameters; on the Cosmos DB store a resource belongs to one member's record", write.Type),
        };
    }

    public static FhirException Refused(string diagnostics, string? expression = null) =>
        FhirException.Of(422, OperationOutcome.IssueType.BusinessRule, diagnostics, expression);

    /// <summary>
    /// The member partition every match of a search must live in, when its conditions say so: a top-level condition
    /// (or an OR of them) on a compartment parameter referring to one Patient, or an _id condition on Patient.
    /// </summary>
    public string? Pin(SearchQuery query)
    {
        if (query.ResourceType is not { } type || query.Filter is not { } filter) return null;
        var operands = filter is AllOf all ? all.Operands : [filter];
        foreach (var operand in operands)
            if (PatientOf(type, operand) is { } patient) return CosmosDocuments.OwnPartition(Patient, patient);
        return null;
    }

    private string? PatientOf(string type, SearchExpression e) => e switch
    {
        IdCondition { Ids.Count: 1 } id when type == Patient => id.Ids[0],
        ReferenceCondition { TargetType: Patient, TargetId: { } id, Url: null } r when MemberParams(type).Contains(r.Param) => id,
        AnyOf any when any.Operands.Select(o => PatientOf(type, o)).Distinct().ToList() is [{ } only] => only,
        AllOf all => all.Operands.Select(o => PatientOf(type, o)).FirstOrDefault(p => p is not null),
        _ => null,
    };
}
