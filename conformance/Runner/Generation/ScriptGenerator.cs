using Hl7.Fhir.Model;
namespace FhirCare.Conformance.Generation;
public static class ScriptGenerator
{
    public static string Generate(CapabilityStatement statement, string examples, string output) => throw new NotImplementedException();
}
