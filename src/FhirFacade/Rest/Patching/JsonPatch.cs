using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Patching;

/// <summary>
/// RFC 6902 JSON Patch (add, remove, replace, move, copy, test) applied to a resource's stored JSON
/// (http.html#patch). Pointers follow RFC 6901; every failure names the operation by its index.
/// </summary>
public static class JsonPatch
{
    public static byte[] Apply(ReadOnlyMemory<byte> document, byte[] patch)
    {
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(patch) as JsonArray
                ?? throw FhirException.BadRequest("A JSON Patch document is a JSON array of operations", code: OperationOutcome.IssueType.Structure);
        }
        catch (JsonException e)
        {
            throw new FhirException(400, Outcomes.Error(OperationOutcome.IssueType.Structure, $"The JSON Patch document is not valid JSON: {e.Message}",
                location: $"line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}"));
        }
        var root = JsonNode.Parse(document.Span)!;
        for (int i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op) throw Malformed(i, "is not an object");
            var name = Text(op, "op", i);
            var path = Text(op, "path", i);
            switch (name)
            {
                case "add": root = Add(root, path, Value(op, i), i); break;
                case "remove": Remove(root, path, i); break;
                case "replace": Remove(root, path, i); root = Add(root, path, Value(op, i), i); break;
                case "move":
                    var from = Text(op, "from", i);
                    var moved = Get(root, from, i);
                    Remove(root, from, i);
                    root = Add(root, path, moved, i);
                    break;
                case "copy": root = Add(root, path, Get(root, Text(op, "from", i), i).DeepClone(), i); break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path, i), Value(op, i)))
                        throw Failed(i, $"test failed: the value at '{path}' differs");
                    break;
                default: throw Malformed(i, $"has unknown op '{name}'");
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    private static JsonNode Add(JsonNode root, string path, JsonNode? value, int i)
    {
        if (path.Length == 0) throw Failed(i, "cannot replace the whole resource; patch its elements");
        var (parent, key) = Parent(root, path, i);
        switch (parent)
        {
            case JsonObject o: o[key] = value; break;
            case JsonArray a when key == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(key, out var index) && index >= 0 && index <= a.Count: a.Insert(index, value); break;
            default: throw Failed(i, $"cannot add at '{path}'");
        }
        return root;
    }

    private static void Remove(JsonNode root, string path, int i)
    {
        var (parent, key) = Parent(root, path, i);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(key): o.Remove(key); break;
            case JsonArray a when int.TryParse(key, out var index) && index >= 0 && index < a.Count: a.RemoveAt(index); break;
            default: throw Failed(i, $"nothing to remove at '{path}'");
        }
    }

    private static JsonNode? Get(JsonNode root, string path, int i)
    {
        var node = root;
        foreach (var token in Tokens(path, i))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var index) && index >= 0 && index < a.Count => a[index],
                _ => throw Failed(i, $"'{path}' does not exist"),
            };
            if (node is null) break;
        }
        return node;
    }

    private static (JsonNode Parent, string Key) Parent(JsonNode root, string path, int i)
    {
        var tokens = Tokens(path, i);
        if (tokens.Length == 0) throw Failed(i, "cannot remove or replace the whole resource; patch its elements");
        var parentPath = "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0").Replace("/", "~1")));
        var parent = tokens.Length == 1 ? root : Get(root, parentPath, i) ?? throw Failed(i, $"the parent of '{path}' is null");
        return (parent, tokens[^1]);
    }

    private static string[] Tokens(string path, int i)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw Malformed(i, $"has path '{path}', which is not a JSON pointer");
        return path[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();
    }

    private static string Text(JsonObject op, string member, int i) =>
        op[member] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Malformed(i, $"lacks a string '{member}'");

    private static JsonNode? Value(JsonObject op, int i) =>
        op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : throw Malformed(i, "lacks 'value'");

    private static FhirException Malformed(int i, string what) =>
        FhirException.BadRequest($"JSON Patch operation {i} {what}", $"[{i}]", OperationOutcome.IssueType.Structure);

    private static FhirException Failed(int i, string what) =>
        FhirException.Of(422, OperationOutcome.IssueType.Processing, $"JSON Patch operation {i}: {what}", $"[{i}]");
}
