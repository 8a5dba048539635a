using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Outreach;

/// <summary>
/// One assignment rule (configuration <c>Outreach:Assignment:Rules</c>): when every condition given holds — the
/// member's risk tier, the measure (id), a FHIRPath condition on the member's Patient — the gap's Task goes to
/// <see cref="Owner"/> (Practitioner/[id], PractitionerRole/[id], Organization/[id] or CareTeam/[id]).
/// </summary>
public sealed class AssignmentRule
{
    public string? RiskTier { get; set; }
    public string? Measure { get; set; }
    public string? Condition { get; set; }
    public string Owner { get; set; } = "";
}

/// <summary>The rules in order (the first that matches wins) and the owner when none matches (none: the Task has no owner).</summary>
public sealed class TaskAssignment
{
    public static readonly string[] OwnerTypes = ["Practitioner", "PractitionerRole", "Organization", "CareTeam"];

    public List<AssignmentRule> Rules { get; set; } = [];
    public string? DefaultOwner { get; set; }

    /// <summary>Problems in the configuration (an owner that is not a reference to an owner type, an empty rule); empty when usable.</summary>
    public IEnumerable<string> Problems()
    {
        var owners = Rules.Select((r, i) => (Owner: r.Owner, Where: $"Outreach:Assignment:Rules:{i}:Owner")).ToList();
        if (DefaultOwner is not null) owners.Add((DefaultOwner, "Outreach:Assignment:DefaultOwner"));
        foreach (var (owner, where) in owners)
            if (owner.Split('/') is not [var type, { Length: > 0 }] || !OwnerTypes.Contains(type))
                yield return $"{where} must be a reference to a {string.Join(", ", OwnerTypes)}, not '{owner}'";
        foreach (var (rule, i) in Rules.Select((r, i) => (r, i)))
        {
            if (rule.RiskTier is null && rule.Measure is null && rule.Condition is null)
                yield return $"Outreach:Assignment:Rules:{i} has no condition (RiskTier, Measure or Condition); use DefaultOwner for that";
            if (rule.Condition is { } c)
            {
                string? problem = null;
                try { new Patient().IsTrue(c); }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or NotSupportedException) { problem = e.Message; }
                if (problem is not null) yield return $"Outreach:Assignment:Rules:{i}:Condition '{c}' is not a FHIRPath expression: {problem}";
            }
        }
    }

    public string? OwnerFor(Patient member, string measureId)
    {
        var tier = RiskTierOf(member);
        foreach (var rule in Rules)
        {
            if (rule.RiskTier is { } t && !string.Equals(t, tier, StringComparison.Ordinal)) continue;
            if (rule.Measure is { } m && !string.Equals(m, measureId, StringComparison.Ordinal)) continue;
            if (rule.Condition is { } c && !member.IsTrue(c)) continue;
            return rule.Owner;
        }
        return DefaultOwner;
    }

    public static string? RiskTierOf(Patient member) =>
        (member.GetExtensionValue<Code>(OutreachCodes.RiskTierExtension))?.Value;

    /// <summary>Task.priority from the risk tier: high asap, moderate urgent, otherwise routine.</summary>
    public static RequestPriority PriorityFor(Patient member) => RiskTierOf(member) switch
    {
        "high" => RequestPriority.Asap,
        "moderate" => RequestPriority.Urgent,
        _ => RequestPriority.Routine,
    };
}
