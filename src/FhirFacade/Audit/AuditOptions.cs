namespace FhirCare.FhirFacade.Audit;

/// <summary>The "Audit" configuration section.</summary>
public sealed class AuditOptions
{
    /// <summary>Whether every FHIR request is recorded as an AuditEvent (on unless switched off).</summary>
    public bool Enabled { get; set; } = true;
}
