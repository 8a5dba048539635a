using System.Buffers.Text;
using System.Text.Json;

namespace FhirCare.FhirFacade.Storage;

/// <summary>
/// A paging position, opaque to everything above the store: the values a store needs to resume (SQLite: the sort-key
/// values and rowid of the row a page ends or starts at; Cosmos DB: its continuation token), and whether the page
/// wanted lies after or before it. Encoded as base64url JSON.
/// </summary>
internal sealed record PageCursor(bool Before, object?[] Values)
{
    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { b = Before, k = Values });
        return Base64Url.EncodeToString(json);
    }

    public static PageCursor Decode(string text, int keyCount)
    {
        try
        {
            using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(text));
            var root = doc.RootElement;
            var keys = root.GetProperty("k");
            if (keys.GetArrayLength() != keyCount) throw new InvalidCursorException("The _cursor does not belong to this search");
            var values = keys.EnumerateArray().Select(v => v.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => (object?)v.GetString(),
                JsonValueKind.Number when v.TryGetInt64(out var l) => l,
                JsonValueKind.Number => v.GetDouble(),
                _ => throw new InvalidCursorException("The _cursor is malformed"),
            }).ToArray();
            return new PageCursor(root.GetProperty("b").GetBoolean(), values);
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidCursorException("The _cursor is not one this server issued");
        }
    }
}
