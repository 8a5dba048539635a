namespace FhirCare.CareGaps.Trust;

/// <summary>The five stages a member moves through while coming to trust the plan (DESIGN.md §2).</summary>
public enum TrustStage
{
    Connection,
    Caution,
    Consistency,
    Courage,
    Commitment,
}
