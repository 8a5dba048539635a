using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// Checks codes against ValueSets from <see cref="ConformanceResources"/>. Each ValueSet is expanded once with the
/// SDK's <see cref="ValueSetExpander"/> (what its LocalTerminologyService runs on every call) and kept as a set of
/// (system, code). ValueSets that cannot be expanded here — LOINC, SNOMED CT, UCUM and other external code systems,
/// or filters — answer <see cref="Membership.Unknown"/>.
/// </summary>
public sealed class Terminology(ConformanceResources resources)
{
    public enum Membership { Member, NotMember, Unknown }

    private sealed record Expansion(HashSet<(string? System, string Code)> Codes, HashSet<string> CodesOnly);

    private const int MaxExpansion = 20_000;
    private readonly ConcurrentDictionary<string, Expansion?> _expansions = new(StringComparer.Ordinal);

    public Membership Contains(string valueSet, string? system, string code)
    {
        if (Expand(valueSet) is not { } e) return Membership.Unknown;
        var member = system is null ? e.CodesOnly.Contains(code) : e.Codes.Contains((system, code));
        return member ? Membership.Member : Membership.NotMember;
    }

    private Expansion? Expand(string canonical) => _expansions.GetOrAdd(canonical.Split('|')[0], url =>
    {
        if (resources.Find(url) is not ValueSet vs) return null;
        try
        {
            var settings = new ValueSetExpanderSettings { ValueSetSource = resources, MaxExpansionSize = MaxExpansion };
            var expanded = (ValueSet)vs.DeepCopy();
            if (expanded.Expansion is null) new ValueSetExpander(settings).ExpandAsync(expanded).GetAwaiter().GetResult();
            var codes = new HashSet<(string?, string)>();
            var codesOnly = new HashSet<string>(StringComparer.Ordinal);
            Collect(expanded.Expansion.Contains, codes, codesOnly);
            return new Expansion(codes, codesOnly);
        }
        catch (Exception)
        {
            return null; // external or unknown code system, a filter, or too large: cannot be checked here
        }
    });

    private static void Collect(IEnumerable<ValueSet.ContainsComponent> contains, HashSet<(string?, string)> codes, HashSet<string> codesOnly)
    {
        foreach (var c in contains)
        {
            if (c.Code is { } code) { codes.Add((c.System, code)); codesOnly.Add(code); }
            Collect(c.Contains, codes, codesOnly);
        }
    }
}
