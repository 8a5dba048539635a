using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Validation;

/// <summary>What is checked: nothing beyond parsing, the core definitions, or the core plus claimed/required profiles.</summary>
public enum ValidationMode { Off, Core, Profiles }

/// <summary>Configuration section <c>Validation</c>.</summary>
public sealed class ValidationOptions
{
    /// <summary>What writes (create, update, patch, transaction entries) are validated against.</summary>
    public ValidationMode Mode { get; set; } = ValidationMode.Profiles;

    /// <summary>In Profiles mode, the care-coordination types (Patient, CarePlan, Task, Communication) must claim our profile.</summary>
    public bool RequireProfiles { get; set; }
}

/// <summary>
/// The validation entry point (validation.html): validates a parsed resource against the core StructureDefinition of
/// its type and, in <see cref="ValidationMode.Profiles"/>, against every profile it claims in <c>meta.profile</c> that
/// this server knows (and, with <see cref="ValidationOptions.RequireProfiles"/>, requires our profile on the four
/// care-coordination types). Writes call <see cref="Check"/>; <c>$validate</c> and transaction entries call
/// <see cref="Validate"/> and decide themselves what to do with the outcome.
/// </summary>
public sealed class ResourceValidator(StructureValidator structures, Definitions definitions, IOptions<ValidationOptions> options)
{
    public const string CanonicalBase = "https://fhircare.org/fhir";

    /// <summary>Our profile each care-coordination type must claim when <see cref="ValidationOptions.RequireProfiles"/> is on.</summary>
    public static readonly IReadOnlyDictionary<string, string> RequiredProfiles = new Dictionary<string, string>
    {
        ["Patient"] = CanonicalBase + "/StructureDefinition/member-patient",
        ["CarePlan"] = CanonicalBase + "/StructureDefinition/care-coordination-careplan",
        ["Task"] = CanonicalBase + "/StructureDefinition/outreach-task",
        ["Communication"] = CanonicalBase + "/StructureDefinition/outreach-communication",
    };

    public ValidationMode Mode => options.Value.Mode;

    /// <summary>Validates <paramref name="resource"/> as writes would (the configured mode; Off checks nothing).</summary>
    public OperationOutcome Validate(Resource resource) => Validate(resource, Mode, null);

    /// <param name="mode">Core or Profiles (Off returns an empty outcome).</param>
    /// <param name="profile">A profile to validate against in addition to those the resource claims ($validate's profile).</param>
    public OperationOutcome Validate(Resource resource, ValidationMode mode, string? profile)
    {
        var issues = new ValidationIssues();
        if (mode == ValidationMode.Off) return issues.ToOutcome();
        var applied = new List<ElementTree>();
        if (profile is not null)
        {
            if (definitions.Tree(profile) is not { } tree)
                throw FhirException.BadRequest($"The profile {profile} is not known to this server", "profile", IssueType.NotFound);
            if (tree.Definition.Type != resource.TypeName)
                throw FhirException.BadRequest($"The profile {profile} constrains {tree.Definition.Type}, not {resource.TypeName}", "profile");
            applied.Add(tree);
        }
        if (mode == ValidationMode.Profiles) applied.AddRange(ClaimedProfiles(resource, issues));
        // A profile's snapshot carries every core rule, so the core definition runs only when no profile applies.
        if (applied.Count == 0)
            applied.Add(definitions.CoreType(resource.TypeName) ?? throw new InvalidOperationException($"No core definition for {resource.TypeName}"));
        foreach (var tree in applied.DistinctBy(t => t.Definition.Url)) structures.Validate(resource, tree, issues);
        return issues.ToOutcome();
    }

    /// <summary>
    /// Validates a resource about to be written; throws 400 (structural problems) or 422 (anything else) with every
    /// issue when it has errors. Does nothing in mode Off. A patched resource is always 422 (the patch was well-formed;
    /// its result is not acceptable), as for every other patch result problem.
    /// </summary>
    /// <param name="at">Where the resource sits in the request, for entries of a batch or transaction
    /// ("Bundle.entry[3].resource"): issue expressions are rooted there instead of at the resource type.</param>
    public void Check(Resource resource, bool patched = false, string? at = null)
    {
        if (Mode == ValidationMode.Off) return;
        var outcome = Validate(resource, Mode, null);
        if (!outcome.Issue.Any(IsError)) return;
        foreach (var issue in outcome.Issue)
        {
            if (patched) issue.Diagnostics = "After the patch: " + issue.Diagnostics;
            if (at is not null)
                issue.Expression = issue.Expression.Select(x => x.StartsWith(resource.TypeName, StringComparison.Ordinal) ? at + x[resource.TypeName.Length..] : x).ToList();
        }
        throw new FhirException(patched ? 422 : StatusFor(outcome), outcome);
    }

    /// <summary>400 when an error is structural (wrong type, too many, not allowed), 422 for rule, code and profile failures.</summary>
    public static int StatusFor(OperationOutcome outcome) =>
        outcome.Issue.Any(i => IsError(i) && i.Code == IssueType.Structure) ? 400 : 422;

    public static bool IsError(OperationOutcome.IssueComponent i) =>
        i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal;

    private IEnumerable<ElementTree> ClaimedProfiles(Resource resource, ValidationIssues issues)
    {
        var claimed = resource.Meta?.Profile.Where(p => !string.IsNullOrEmpty(p)).ToList() ?? [];
        var trees = new List<ElementTree>();
        for (int i = 0; i < claimed.Count; i++)
        {
            var path = $"{resource.TypeName}.meta.profile[{i}]";
            if (definitions.Tree(claimed[i]) is not { } tree)
            {
                var level = claimed[i].StartsWith(CanonicalBase, StringComparison.Ordinal) ? OperationOutcome.IssueSeverity.Error : OperationOutcome.IssueSeverity.Warning;
                issues.Add(level, IssueType.NotSupported, path, $"Profile {claimed[i]} is not known to this server; the resource was not checked against it");
                continue;
            }
            if (tree.Definition.Type != resource.TypeName)
            {
                issues.Error(IssueType.Invalid, path, $"Profile {claimed[i]} constrains {tree.Definition.Type}, not {resource.TypeName}");
                continue;
            }
            trees.Add(tree);
        }
        if (options.Value.RequireProfiles && RequiredProfiles.TryGetValue(resource.TypeName, out var required) && !claimed.Any(p => p.Split('|')[0] == required))
        {
            issues.Error(IssueType.Required, $"{resource.TypeName}.meta.profile", $"A {resource.TypeName} must claim the profile {required} (meta.profile) on this server");
            if (definitions.Tree(required) is { } tree) trees.Add(tree);
        }
        return trees;
    }
}
