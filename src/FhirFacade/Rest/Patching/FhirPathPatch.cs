using System.Collections;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCare.FhirFacade.Rest.Patching;

/// <summary>
/// FHIRPath Patch (fhirpatch.html): a Parameters resource of "operation" parameters (add, insert, delete, replace,
/// move) applied to the resource's POCO. Values are given as value[x].
/// </summary>
public static class FhirPathPatch
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    public static void Apply(Resource resource, Parameters patch)
    {
        var operations = patch.Parameter.Where(p => p.Name == "operation").ToList();
        if (operations.Count == 0 || operations.Count != patch.Parameter.Count)
            throw FhirException.BadRequest("A FHIRPath Patch is a Parameters resource with only 'operation' parameters", "Parameters.parameter", OperationOutcome.IssueType.Structure);
        for (int i = 0; i < operations.Count; i++)
        {
            var location = $"Parameters.parameter[{i}]";
            var parts = operations[i].Part.ToDictionary(p => p.Name, p => p);
            string Part(string name) => (parts.GetValueOrDefault(name)?.Value as PrimitiveType)?.ToString()
                ?? throw FhirException.BadRequest($"Operation {i} lacks its '{name}' part", $"{location}.part", OperationOutcome.IssueType.Required);
            int Index(string name) => int.TryParse(Part(name), out var n) && n >= 0 ? n
                : throw FhirException.BadRequest($"Operation {i}: '{name}' must be a non-negative integer", $"{location}.part");
            DataType Value() => parts.GetValueOrDefault("value")?.Value
                ?? throw FhirException.BadRequest($"Operation {i} lacks a value[x] part", $"{location}.part", OperationOutcome.IssueType.Required);

            var type = Part("type");
            var path = Part("path");
            try
            {
                switch (type)
                {
                    case "add": AddTo(Single(resource, path, i, required: true)!, Part("name"), Value()); break;
                    case "insert": Insert(resource, path, Index("index"), Value(), i); break;
                    case "delete": if (Single(resource, path, i, required: false) is { } node) Remove(node); break;
                    case "replace": ReplaceAt(Single(resource, path, i, required: true)!, Value()); break;
                    case "move": Move(resource, path, Index("source"), Index("destination"), i); break;
                    default: throw FhirException.BadRequest($"Operation {i} has unknown type '{type}'", $"{location}.part", OperationOutcome.IssueType.CodeInvalid);
                }
            }
            catch (Exception e) when (e is InvalidCastException or ArgumentException or InvalidOperationException)
            {
                throw FhirException.Of(422, OperationOutcome.IssueType.Processing, $"Operation {i} ({type} at {path}) cannot be applied: {e.Message}", location);
            }
        }
    }

    private static PocoNode? Single(Resource resource, string path, int i, bool required)
    {
        CompiledExpression compiled;
        try { compiled = Compiler.Compile(path); }
        catch (Exception e) { throw FhirException.BadRequest($"Operation {i}: '{path}' is not valid FHIRPath: {e.Message}", $"Parameters.parameter[{i}]"); }
        var nodes = compiled(resource.ToPocoNode(), new FhirEvaluationContext()).ToList();
        if (nodes.Count > 1) throw FhirException.Of(422, OperationOutcome.IssueType.MultipleMatches, $"Operation {i}: '{path}' matches {nodes.Count} elements, not one", $"Parameters.parameter[{i}]");
        if (nodes.Count == 0 && required) throw FhirException.Of(422, OperationOutcome.IssueType.NotFound, $"Operation {i}: '{path}' matches nothing", $"Parameters.parameter[{i}]");
        return nodes.FirstOrDefault();
    }

    private static void AddTo(PocoNode container, string name, DataType value)
    {
        var target = container.Poco;
        if (target.TryGetValue(name, out var existing) && existing is IList list) list.Add(value);
        else if (existing is null) target.SetValue(name, value);
        else throw new InvalidOperationException($"'{name}' already has a value; use replace");
    }

    private static void Remove(PocoNode node)
    {
        var parent = node.Parent!.Poco;
        if (parent.TryGetValue(node.Name, out var existing) && existing is IList list) list.Remove(node.Poco);
        else parent.SetValue(node.Name, null);
    }

    private static void ReplaceAt(PocoNode node, DataType value)
    {
        var parent = node.Parent!.Poco;
        if (parent.TryGetValue(node.Name, out var existing) && existing is IList list) list[list.IndexOf(node.Poco)] = value;
        else parent.SetValue(node.Name, value);
    }

    /// <summary>The list a path names ("Patient.identifier"), found through its parent so an empty list works too.</summary>
    private static IList ListAt(Resource resource, string path, int i)
    {
        var dot = path.LastIndexOf('.');
        if (dot < 0) throw FhirException.BadRequest($"Operation {i}: '{path}' does not name a list element", $"Parameters.parameter[{i}]");
        var parent = Single(resource, path[..dot], i, required: true)!;
        var name = path[(dot + 1)..];
        return parent.Poco.TryGetValue(name, out var value) && value is IList list
            ? list
            : throw new InvalidOperationException($"'{path}' is not a repeating element");
    }

    private static void Insert(Resource resource, string path, int index, DataType value, int i)
    {
        var list = ListAt(resource, path, i);
        if (index > list.Count) throw new ArgumentException($"index {index} is past the end of the list ({list.Count} items)");
        list.Insert(index, value);
    }

    private static void Move(Resource resource, string path, int source, int destination, int i)
    {
        var list = ListAt(resource, path, i);
        if (source >= list.Count || destination >= list.Count) throw new ArgumentException($"source and destination must be below {list.Count}");
        var item = list[source];
        list.RemoveAt(source);
        list.Insert(destination, item);
    }
}
