using System.Buffers;
using System.Text;
using System.Text.Json;
using FhirCare.FhirFacade.Search;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>
/// The document layout (docs/cosmos.md): current (<c>k = "c"</c>), earlier-version (<c>"v"</c>) and locator
/// (<c>"l"</c>) documents, written with System.Text.Json straight to the bytes the SDK sends. Times are 19-digit
/// zero-padded UTC tick strings, so range comparisons on them are exact string comparisons.
/// </summary>
internal static class CosmosDocuments
{
    public const string Current = "c", Version = "v", Locator = "l";

    /// <summary>The columns every read selects, in this order (see <see cref="Materialize"/>).</summary>
    public const string Columns = "c.t, c.rid, c.v, c.ts, c.del, c.json, c.m, c.st, c.seq";

    public static string CurrentId(string type, string id) => $"{type}:{id}";

    public static string VersionId(string type, string id, int version) => $"{type}:{id}:{version}";

    public const string LocatorId = "loc";

    public static string Ticks(long ticks) => ticks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The end of time for <c>until</c> of a current version.</summary>
    public static readonly string Forever = Ticks(DateTime.MaxValue.Ticks);

    /// <summary>A stable 63-bit tie-breaker for history order (FNV-1a of type/id/version).</summary>
    public static long Sequence(string type, string id, int version)
    {
        ulong hash = 14695981039346656037;
        foreach (var c in $"{type}/{id}/{version}")
        {
            hash ^= c;
            hash *= 1099511628211;
        }
        return (long)(hash >> 1);
    }

    /// <summary>A version document: the current one (with its index) or an earlier one (with when it was superseded).</summary>
    public static byte[] Write(ResourceWrite w, string pk, bool current, string? until = null)
    {
        var buffer = new ArrayBufferWriter<byte>(w.Json.Length + 512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", current ? CurrentId(w.Type, w.Id) : VersionId(w.Type, w.Id, w.Version));
            json.WriteString("pk", pk);
            json.WriteString("k", current ? Current : Version);
            json.WriteString("t", w.Type);
            json.WriteString("rid", w.Id);
            json.WriteNumber("v", w.Version);
            json.WriteString("ts", Ticks(w.LastUpdated.UtcTicks));
            json.WriteString("until", until ?? Forever);
            json.WriteBoolean("del", w.Deleted);
            json.WriteString("m", w.Method);
            json.WriteNumber("st", w.Status);
            json.WriteNumber("seq", Sequence(w.Type, w.Id, w.Version));
            json.WriteString("json", w.Json.Span);
            if (current)
            {
                json.WriteStartArray("ix");
                foreach (var value in w.Index) WriteIndexValue(json, value);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] WriteLocator(string type, string id, string home) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
    {
        ["id"] = LocatorId, ["pk"] = OwnPartition(type, id), ["k"] = Locator, ["home"] = home,
    });

    /// <summary>The partition of a resource that lives alone, and of every resource's locator.</summary>
    public static string OwnPartition(string type, string id) => $"{type}/{id}";

    private static void WriteIndexValue(Utf8JsonWriter json, IndexValue value)
    {
        json.WriteStartObject();
        json.WriteString("p", value.Param);
        switch (value)
        {
            case StringIndexValue s:
                json.WriteString("n", s.Normalized);
                json.WriteString("e", s.Exact);
                break;
            case TokenIndexValue t:
                json.WriteString("s", t.System ?? "");
                json.WriteString("c", t.Code ?? "");
                json.WriteString("x", t.Text ?? "");
                break;
            case ReferenceIndexValue r:
                json.WriteString("tt", r.TargetType ?? "");
                json.WriteString("ti", r.TargetId ?? "");
                json.WriteString("u", r.Url ?? "");
                break;
            case DateIndexValue d:
                json.WriteString("a", Ticks(d.Start));
                json.WriteString("b", Ticks(d.End));
                break;
            case NumberIndexValue n:
                json.WriteNumber("v", (double)n.Value);
                json.WriteNumber("lo", (double)n.Low);
                json.WriteNumber("hi", (double)n.High);
                json.WriteString("s", n.System ?? "");
                json.WriteString("c", n.Code ?? "");
                break;
            case UriIndexValue u:
                json.WriteString("u", u.Value);
                break;
            case CompositeIndexValue c:
                json.WriteString("fs", c.FirstSystem ?? "");
                json.WriteString("fc", c.FirstCode ?? "");
                switch (c.Second)
                {
                    case TokenIndexValue t:
                        json.WriteString("bs", t.System ?? "");
                        json.WriteString("bc", t.Code ?? "");
                        break;
                    case NumberIndexValue n:
                        json.WriteString("bs", n.System ?? "");
                        json.WriteString("bc", n.Code ?? "");
                        json.WriteNumber("blo", (double)n.Low);
                        json.WriteNumber("bhi", (double)n.High);
                        break;
                    case DateIndexValue d:
                        json.WriteString("ba", Ticks(d.Start));
                        json.WriteString("bb", Ticks(d.End));
                        break;
                    case StringIndexValue s:
                        json.WriteString("bt", s.Normalized);
                        break;
                }
                break;
        }
        json.WriteEndObject();
    }

    /// <summary>A stored version from a document that has at least the <see cref="Columns"/>.</summary>
    public static StoredResource Materialize(JsonElement d, bool withHistory = false)
    {
        var resource = new StoredResource(
            d.GetProperty("t").GetString()!, d.GetProperty("rid").GetString()!, d.GetProperty("v").GetInt32(),
            new DateTimeOffset(long.Parse(d.GetProperty("ts").GetString()!, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero),
            d.GetProperty("del").GetBoolean(), Encoding.UTF8.GetBytes(d.GetProperty("json").GetString()!));
        return withHistory ? resource with { Method = d.GetProperty("m").GetString(), Status = d.GetProperty("st").GetInt32() } : resource;
    }

    /// <summary>Re-writes a stored document with some properties replaced, or removed where the writer is null.</summary>
    public static byte[] With(JsonElement document, IReadOnlyDictionary<string, Action<Utf8JsonWriter>?> replace)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var property in document.EnumerateObject())
            {
                if (property.Name.StartsWith('_')) continue; // system properties (_rid, _etag, _ts…)
                if (!replace.TryGetValue(property.Name, out var write)) property.WriteTo(json);
                else if (write is not null) { json.WritePropertyName(property.Name); write(json); }
            }
            foreach (var (name, write) in replace)
                if (write is not null && !document.TryGetProperty(name, out _)) { json.WritePropertyName(name); write(json); }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteIndex(Utf8JsonWriter json, IReadOnlyList<IndexValue> index)
    {
        json.WriteStartArray();
        foreach (var value in index) WriteIndexValue(json, value);
        json.WriteEndArray();
    }
}
