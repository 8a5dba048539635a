namespace FhirCare.FhirFacade.Security;

/// <summary>What a scope lets a client do with a resource type (SMART v2 "cruds").</summary>
[Flags]
public enum Permissions { None = 0, Create = 1, Read = 2, Update = 4, Delete = 8, Search = 16, All = Create | Read | Update | Delete | Search }

public enum ScopeLevel { Patient, User, System }

/// <summary>
/// One SMART on FHIR resource scope (scopes-and-launch-context.html): <c>patient|user|system/&lt;Type|*&gt;.&lt;cruds&gt;</c>
/// (v2), or the v1 forms <c>.read</c> (= rs), <c>.write</c> (= cud) and <c>.*</c> (= cruds). Other scopes (openid,
/// launch, fhirUser, offline_access) and v2 scopes with query parameters (finer-grained, not supported here) are not
/// resource scopes and grant nothing.
/// </summary>
public sealed record SmartScope(ScopeLevel Level, string Type, Permissions Permissions)
{
    public static bool TryParse(string scope, out SmartScope parsed)
    {
        parsed = null!;
        var slash = scope.IndexOf('/');
        var dot = scope.LastIndexOf('.');
        if (slash <= 0 || dot < slash + 2 || dot == scope.Length - 1 || scope.Contains('?')) return false;
        ScopeLevel level;
        switch (scope[..slash])
        {
            case "patient": level = ScopeLevel.Patient; break;
            case "user": level = ScopeLevel.User; break;
            case "system": level = ScopeLevel.System; break;
            default: return false;
        }
        var type = scope[(slash + 1)..dot];
        if (type != "*" && !Rest.ResourceTypes.Served.Contains(type)) return false;
        if (ParsePermissions(scope[(dot + 1)..]) is not { } permissions) return false;
        parsed = new SmartScope(level, type, permissions);
        return true;
    }

    public static IReadOnlyList<SmartScope> ParseAll(IEnumerable<string> scopes) =>
        scopes.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(s => TryParse(s, out var p) ? p : null).OfType<SmartScope>().ToList();

    /// <summary>"rs" → Read|Search; v1 "read", "write", "*"; letters must come in c r u d s order (v2 rule).</summary>
    private static Permissions? ParsePermissions(string text)
    {
        switch (text)
        {
            case "read": return Permissions.Read | Permissions.Search;
            case "write": return Permissions.Create | Permissions.Update | Permissions.Delete;
            case "*": return Permissions.All;
        }
        var result = Permissions.None;
        var last = -1;
        foreach (var c in text)
        {
            var position = "cruds".IndexOf(c);
            if (position <= last) return null;
            last = position;
            result |= (Permissions)(1 << position);
        }
        return result == Permissions.None ? null : result;
    }

    /// <summary>Whether this (granted) scope covers everything <paramref name="requested"/> asks for.</summary>
    public bool Covers(SmartScope requested) =>
        Level == requested.Level && (Type == "*" || Type == requested.Type) && (requested.Permissions & ~Permissions) == 0;
}
