namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// What a handler learned about its request that the method and path do not say (a POST [base] is a batch or a
/// transaction). Set through <see cref="Note"/>; absent when auditing is off.
/// </summary>
public sealed class AuditFacts
{
    public string? Interaction { get; set; }

    public static void Note(HttpContext context, string interaction)
    {
        if (context.Features.Get<AuditFacts>() is { } facts) facts.Interaction = interaction;
    }
}
