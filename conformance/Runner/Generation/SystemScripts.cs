using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using static FhirCare.Conformance.Generation.ScriptBuilder;

namespace FhirCare.Conformance.Generation;

/// <summary>The system-level interactions the CapabilityStatement claims: capabilities, history-system, search-system.</summary>
public static class SystemScripts
{
    public static TestScript For(CapabilityStatement statement)
    {
        var rest = statement.Rest.First(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);
        var claims = rest.Interaction.Select(i => i.Code?.GetLiteral()).ToHashSet();
        var script = Script("system", "System-level interactions", "capabilities, and the system-level interactions the CapabilityStatement claims.");
        script.Fixture.Add(Fixture("patient", "fixtures/Patient-kit-system.json", auto: true));
        script.Variable.Add(IdOf("id", "patient"));
        script.Test.Add(Test("capabilities", "capabilities", "GET metadata: a CapabilityStatement for FHIR 4.0.1",
            Do(Operation("capabilities", "capabilities")),
            Check(Status(200, "200 OK")),
            Check(ResourceIs("CapabilityStatement", "body is a CapabilityStatement")),
            Check(EqualsValue("fhirVersion", "4.0.1", "FHIR R4")),
            Check(IsTrue("rest.where(mode = 'server').resource.exists()", "it lists the types served"))));
        if (claims.Contains("history-system"))
            script.Test.Add(Test("history-system", "history (system)", "GET _history: a history Bundle that includes the fixture",
                Do(Operation("historySystem", "history-system", parameters: "?_count=50")),
                Check(Status(200, "200 OK")),
                Check(EqualsValue("Bundle.type", "history", "a history Bundle")),
                Check(IsTrue("Bundle.entry.exists()", "it has entries"))));
        if (claims.Contains("search-system"))
            script.Test.Add(Test("search-system", "search (system)", "GET [base]?_type=Patient&_id=[id] finds the fixture",
                Do(Operation("searchSystem", "search-system", parameters: "?_type=Patient&_id=${id}")),
                Check(Status(200, "200 OK")),
                Check(EqualsValue("Bundle.type", "searchset", "a searchset Bundle")),
                Check(EqualsValue("Bundle.entry.resource.ofType(Patient).id", "${id}", "the fixture is found"))));
        return script;
    }
}
