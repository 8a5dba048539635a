using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>Whom an evaluation covers: one Patient, a Group's members, or every Patient matching a filter (null: all).</summary>
public abstract record MemberScope
{
    public sealed record OnePatient(Patient Patient) : MemberScope;
    public sealed record GroupMembers(Group Group) : MemberScope;
    public sealed record Patients(SearchExpression? Filter) : MemberScope;

    /// <summary>
    /// Reads the scope from the operation's subject / subjectGroup / practitioner / organization parameters (at most
    /// one of them; none: every member). Unknown references are 404s naming the parameter.
    /// </summary>
    public static async Task<MemberScope> ReadAsync(OperationInput input, IFhirStore store, SearchParameterRegistry registry, CancellationToken ct, bool allowGroupResource = true)
    {
        var subject = input.Single("subject");
        var subjectGroup = allowGroupResource ? input.Resource<Group>("subjectGroup") : null;
        var practitioner = input.Single("practitioner");
        var organization = input.Single("organization");
        var given = new[] { ("subject", subject is not null), ("subjectGroup", subjectGroup is not null), ("practitioner", practitioner is not null), ("organization", organization is not null) }
            .Where(g => g.Item2).Select(g => g.Item1).ToList();
        if (given.Count > 1) throw FhirException.BadRequest($"Give at most one of subject, subjectGroup, practitioner and organization (got {string.Join(", ", given)})", given[1]);

        if (subjectGroup is not null) return new GroupMembers(subjectGroup);
        if (subject is not null)
        {
            var (type, id) = Reference(subject, "subject", "Patient", "Group");
            var resource = await RequireAsync(store, type, id, "subject", ct);
            return resource is Patient p ? new OnePatient(p) : new GroupMembers((Group)resource);
        }
        if (practitioner is not null)
        {
            var (type, id) = Reference(practitioner, "practitioner", "Practitioner");
            await RequireAsync(store, type, id, "practitioner", ct);
            return new Patients(new ReferenceCondition(registry.Find("Patient", "general-practitioner")!.IndexKey, type, id, null));
        }
        if (organization is not null)
        {
            var (type, id) = Reference(organization, "organization", "Organization");
            await RequireAsync(store, type, id, "organization", ct);
            return new Patients(new ReferenceCondition(registry.Find("Patient", "organization")!.IndexKey, type, id, null));
        }
        return new Patients(null);
    }

    private static (string Type, string Id) Reference(string value, string parameter, params string[] types)
    {
        var parts = value.Split('/');
        if (parts.Length != 2 || !types.Contains(parts[0]) || !ResourceTypes.IsValidId(parts[1]))
            throw FhirException.BadRequest($"Parameter '{parameter}' must be a reference of the form {string.Join(" or ", types.Select(t => t + "/[id]"))}, not '{value}'", parameter);
        return (parts[0], parts[1]);
    }

    private static async Task<Resource> RequireAsync(IFhirStore store, string type, string id, string parameter, CancellationToken ct)
    {
        var stored = await store.ReadAsync(type, id, ct);
        if (stored is null or { Deleted: true }) throw FhirException.Of(404, OperationOutcome.IssueType.NotFound, $"{type}/{id} (parameter '{parameter}') is not on this server", parameter);
        return FhirResponses.ParseStored(stored);
    }
}
