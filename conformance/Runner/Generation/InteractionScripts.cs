using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using static FhirCare.Conformance.Generation.ScriptBuilder;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// One TestScript per resource type for the interactions its CapabilityStatement entry claims (http.html): create,
/// read, vread, update, patch (FHIRPath Patch), instance and type history, search by _id, conditional create and
/// update, delete. Each test checks what the spec says the server answers, and that the content round-trips.
/// </summary>
public static class InteractionScripts
{
    public static TestScript For(CapabilityStatement.ResourceComponent claimed, string fixtureFile, string updatedFile)
    {
        var type = claimed.Type!;
        var claims = claimed.Interaction.Select(i => i.Code?.GetLiteral()).ToHashSet();
        var script = Script($"interactions-{type}", $"{type}: REST interactions",
            $"Every interaction the CapabilityStatement claims for {type}, on a fixture created by the script and deleted at its end.");
        script.Fixture.Add(Fixture("fx", fixtureFile, auto: false));
        script.Fixture.Add(Fixture("fx-updated", updatedFile, auto: false));
        script.Contained.Add(PatchTag(type));
        script.Fixture.Add(Fixture("fx-patch", "#patch", auto: false));
        script.Variable.Add(IdOf("id", "fx"));
        (string, string) representation = ("Prefer", "return=representation");

        if (!claims.Contains("create")) return script; // everything below works on the instance the create makes
        script.Test.Add(Test("create", "create", $"POST {type}: 201 with Location, ETag and the stored resource",
            Do(Operation("create", "create", type, sourceId: "fx", responseId: "created", headers: representation)),
            Check(Status(201, "201 Created")),
            Check(Header("Location", "Location header")),
            Check(Header("ETag", "ETag header")),
            Check(ResourceIs(type, $"body is a {type}")),
            Check(Minimum("fx", "the stored resource holds everything sent"))));
        if (claims.Contains("read"))
            script.Test.Add(Test("read", "read", $"GET {type}/[id]: 200, ETag, Last-Modified and the content that was created",
                Do(Operation("read", "read", type, targetId: "fx")),
                Check(Status(200, "200 OK")),
                Check(ResourceIs(type, $"body is a {type}")),
                Check(Header("ETag", "ETag header")),
                Check(Header("Last-Modified", "Last-Modified header")),
                Check(EqualsValue("id", "${id}", "the id asked for")),
                Check(Minimum("fx", "everything that was created is read back"))));
        if (claims.Contains("vread"))
            script.Test.Add(Test("vread", "vread", $"GET {type}/[id]/_history/[vid] of the created version",
                Do(Operation("vread", "vread", type, targetId: "created")),
                Check(Status(200, "200 OK")),
                Check(ResourceIs(type, $"body is a {type}")),
                Check(new TestScript.AssertComponent { Label = "the version asked for", Expression = "meta.versionId", CompareToSourceId = "created", CompareToSourceExpression = "meta.versionId", Operator = TestScript.AssertionOperatorType.Equals, WarningOnly = false })));
        if (claims.Contains("update"))
            script.Test.Add(Test("update", "update", $"PUT {type}/[id] with a changed resource: 200 and the change is kept",
                Do(Operation("update", "update", type, targetId: "fx", sourceId: "fx-updated", headers: representation)),
                Check(Status(200, "200 OK")),
                Check(IsTrue("meta.tag.where(code = 'updated').exists()", "the update's change is in the answer")),
                Check(new TestScript.AssertComponent { Label = "a new version", Expression = "meta.versionId", CompareToSourceId = "created", CompareToSourceExpression = "meta.versionId", Operator = TestScript.AssertionOperatorType.NotEquals, WarningOnly = false })));
        if (claims.Contains("patch"))
            script.Test.Add(Test("patch", "patch", $"PATCH {type}/[id] with a FHIRPath Patch (Parameters) that adds a tag",
                Do(Operation("patch", "patch", type, targetId: "fx", sourceId: "fx-patch", headers: representation)),
                Check(Status(200, "200 OK")),
                Check(IsTrue("meta.tag.where(code = 'patched').exists()", "the patched tag is there"))));
        if (claims.Contains("read") && (claims.Contains("update") || claims.Contains("patch")))
            script.Test.Add(Test("read-changed", "read after the changes", "the changes are stored, not only answered",
                Do(Operation("read", "read", type, targetId: "fx")),
                Check(Status(200, "200 OK")),
                Check(IsTrue((claims.Contains("update") ? "meta.tag.where(code = 'updated').exists()" : "true") + (claims.Contains("patch") ? " and meta.tag.where(code = 'patched').exists()" : ""), "the changes are stored"))));
        if (claims.Contains("history-instance"))
            script.Test.Add(Test("history-instance", "history (instance)", $"GET {type}/[id]/_history: every version, newest first",
                Do(Operation("historyInstance", "history", type, targetId: "fx")),
                Check(Status(200, "200 OK")),
                Check(ResourceIs("Bundle", "body is a Bundle")),
                Check(EqualsValue("Bundle.type", "history", "a history Bundle")),
                Check(EqualsValue("Bundle.entry.count()", (1 + (claims.Contains("update") ? 1 : 0) + (claims.Contains("patch") ? 1 : 0)).ToString(), "one entry per version")),
                Check(IsTrue("Bundle.entry.all(resource.id = '${id}')", "only this resource's versions"))));
        if (claims.Contains("history-type"))
            script.Test.Add(Test("history-type", "history (type)", $"GET {type}/_history",
                Do(Operation("historyType", "history-type", type, parameters: "?_count=2")),
                Check(Status(200, "200 OK")),
                Check(EqualsValue("Bundle.type", "history", "a history Bundle")),
                Check(IsTrue($"Bundle.entry.exists() and Bundle.entry.all(resource is {type} or request.method = 'DELETE')", $"entries are {type} versions"))));
        if (claims.Contains("search-type"))
            script.Test.Add(Test("search-type", "search (type)", $"GET {type}?_id=[id] finds exactly the fixture",
                Do(Operation("search", "search", type, parameters: "?_id=${id}")),
                Check(Status(200, "200 OK")),
                Check(EqualsValue("Bundle.type", "searchset", "a searchset Bundle")),
                Check(EqualsValue($"Bundle.entry.resource.ofType({type}).id", "${id}", "the fixture is found")),
                Check(EqualsValue($"Bundle.entry.resource.ofType({type}).count()", "1", "and nothing else"))));
        if (claimed.ConditionalCreate == true && claims.Contains("search-type"))
            script.Test.Add(Test("conditional-create", "conditional create", "POST with If-None-Exist matching the fixture creates nothing and answers 200",
                Do(Operation("create", "create if none exist", type, sourceId: "fx", headers: [("If-None-Exist", "_id=${id}"), representation])),
                Check(Status(200, "200 OK (it exists)")),
                Check(EqualsValue("id", "${id}", "the existing resource"))));
        if (claimed.ConditionalUpdate == true && claims.Contains("search-type"))
            script.Test.Add(Test("conditional-update", "conditional update", $"PUT {type}?_id=[id] updates the one match",
                Do(Operation("update", "update by criteria", type, sourceId: "fx-updated", parameters: "?_id=${id}", headers: representation)),
                Check(Status(200, "200 OK")),
                Check(EqualsValue("id", "${id}", "the matching resource was updated"))));
        if (claims.Contains("delete"))
        {
            var delete = Test("delete", "delete", $"DELETE {type}/[id]: 200 or 204, then a read answers 410 Gone",
                Do(Operation("delete", "delete", type, targetId: "fx")),
                Check(StatusIn("200,204", "200 or 204")));
            if (claims.Contains("read"))
            {
                delete.Action.Add(new TestScript.TestActionComponent { Operation = Operation("read", "read the deleted", type, targetId: "fx") });
                delete.Action.Add(new TestScript.TestActionComponent { Assert = Status(410, "410 Gone") });
            }
            if (claims.Contains("vread"))
            {
                delete.Action.Add(new TestScript.TestActionComponent { Operation = Operation("vread", "vread the first version", type, targetId: "created") });
                delete.Action.Add(new TestScript.TestActionComponent { Assert = Status(200, "old versions stay readable") });
            }
            script.Test.Add(delete);
        }
        return script;
    }

    /// <summary>A FHIRPath Patch (fhirpatch.html) adding a tag; contained, since its path names the type.</summary>
    private static Parameters PatchTag(string type)
    {
        var operation = new Parameters.ParameterComponent { Name = "operation" };
        operation.Part.Add(new Parameters.ParameterComponent { Name = "type", Value = new Code("add") });
        operation.Part.Add(new Parameters.ParameterComponent { Name = "path", Value = new FhirString($"{type}.meta") });
        operation.Part.Add(new Parameters.ParameterComponent { Name = "name", Value = new FhirString("tag") });
        operation.Part.Add(new Parameters.ParameterComponent { Name = "value", Value = new Coding(ScriptGenerator.KitSystem, "patched") });
        var patch = new Parameters { Id = "patch" };
        patch.Parameter.Add(operation);
        return patch;
    }
}
