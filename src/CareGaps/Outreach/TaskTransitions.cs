using S = Hl7.Fhir.Model.Task.TaskStatus;

namespace FhirCare.CareGaps.Outreach;

/// <summary>
/// The FHIR Task state machine (workflow-management.html, task.html#statemachine) as the outreach-task profile
/// states it: which status may follow which. Final states have no successor; staying in a state is always allowed.
/// </summary>
public static class TaskTransitions
{
    private static readonly Dictionary<S, S[]> Next = new()
    {
        [S.Draft] = [S.Requested, S.Cancelled, S.EnteredInError],
        [S.Requested] = [S.Received, S.Accepted, S.Rejected, S.Cancelled, S.EnteredInError],
        [S.Received] = [S.Accepted, S.Rejected, S.Cancelled, S.EnteredInError],
        [S.Accepted] = [S.Ready, S.InProgress, S.Cancelled, S.EnteredInError],
        [S.Ready] = [S.InProgress, S.Cancelled, S.EnteredInError],
        [S.InProgress] = [S.OnHold, S.Completed, S.Failed, S.Cancelled, S.EnteredInError],
        [S.OnHold] = [S.InProgress, S.Cancelled, S.EnteredInError],
    };

    public static bool IsFinal(S status) => !Next.ContainsKey(status);

    public static bool IsAllowed(S from, S to) => from == to || (Next.TryGetValue(from, out var next) && next.Contains(to));

    public static IReadOnlyList<S> Successors(S from) => Next.GetValueOrDefault(from) ?? [];

    public static string Code(S status) => Hl7.Fhir.Utility.EnumUtility.GetLiteral(status)!;
}
