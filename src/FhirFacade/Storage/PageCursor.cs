using System.Buffers.Text;
using System.Text.Json;

namespace FhirCare.FhirFacade.Storage;

/// <summary>
/// A keyset paging position, shared by the stores: the key values of the row a page ends or starts at (SQLite: the
/// sort keys and rowid; Cosmos DB: the sort key and document id), whether the page wanted lies after or before it,
/// and which condition's index the search walks (<see cref="Driver"/>, -1 for none; SQLite only), so every page of a
/// search is read the same way even if the data would now suggest another driver.
/// Encoded as base64url JSON; opaque to everything above the store.
/// </summary>
internal sealed record PageCursor(bool Before, object?[] Values, int Driver)
{
    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { b = Before, k = Values, d = Driver });
        return Base64Url.EncodeToString(json);
    }

    public static PageCursor Decode(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(text));
            var root = doc.RootElement;
            var keys = root.GetProperty("k");
            var values = keys.EnumerateArray().Select(v => v.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => (object?)v.GetString(),
                JsonValueKind.Number when v.TryGetInt64(out var l) => l,
                JsonValueKind.Number => v.GetDouble(),
                _ => throw new InvalidCursorException("The _cursor is malformed"),
            }).ToArray();
            return new PageCursor(root.GetProperty("b").GetBoolean(), values, root.GetProperty("d").GetInt32());
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidCursorException("The _cursor is not one this server issued");
        }
    }
}
