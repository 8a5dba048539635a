using System.Collections;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// A resource of a type no official example covers: only its mandatory elements (min ≥ 1, at every level), each with a
/// plain value of its datatype (the first code of a required enumeration, a text-only CodeableConcept, a display-only
/// Reference). Enough for the interaction scripts to write, read, update and delete it.
/// </summary>
public static class MinimalResources
{
    public const string Text = "FhirCare conformance kit";
    public const string Url = "https://fhircare.org/fhir/conformance-kit";

    public static Resource Create(string type, string id)
    {
        var clr = ModelInfo.GetTypeForFhirType(type) ?? throw new ArgumentException($"'{type}' is not an R4 resource type");
        var resource = (Resource)Fill((Base)Activator.CreateInstance(clr)!, 0);
        resource.Id = id;
        return resource;
    }

    /// <summary>Gives an element its mandatory children (used for elements the search planting creates, too).</summary>
    internal static Base Fill(Base instance, int depth = 0)
    {
        if (depth > 6) return instance;
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(instance.GetType())!;
        foreach (var property in mapping.PropertyMappings.Where(p => p.IsMandatoryElement && p.Name is not ("id" or "resourceType")))
        {
            var type = property.Choice == ChoiceType.DatatypeChoice ? Preferred(property.FhirType) : property.ImplementingType;
            if (type.IsAbstract || typeof(Resource).IsAssignableFrom(type)) continue;
            var value = Value(type, depth);
            if (value is null) continue;
            if (property.IsCollection)
            {
                var list = (IList)property.NativeProperty!.GetValue(instance)!;
                list.Add(value);
            }
            else property.NativeProperty!.SetValue(instance, value);
        }
        return instance;
    }

    private static Type Preferred(Type[] choices) =>
        new[] { typeof(FhirString), typeof(CodeableConcept), typeof(FhirBoolean), typeof(FhirDateTime), typeof(ResourceReference) }.FirstOrDefault(choices.Contains)
        ?? choices.First(c => !c.IsAbstract);

    private static Base? Value(Type type, int depth)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Code<>))
        {
            var values = Enum.GetValues(type.GetGenericArguments()[0]);
            return (Base)Activator.CreateInstance(type, values.GetValue(0))!;
        }
        return type.Name switch
        {
            nameof(FhirString) => new FhirString(Text),
            nameof(Markdown) => new Markdown(Text),
            nameof(Code) => new Code("kit"),
            nameof(Id) => new Id("kit"),
            nameof(FhirUri) => new FhirUri(Url),
            nameof(Canonical) => new Canonical(Url),
            nameof(FhirUrl) => new FhirUrl(Url),
            nameof(Oid) => new Oid("urn:oid:2.16.840.1.113883.4.642.99"),
            nameof(Uuid) => new Uuid("urn:uuid:8d3b5c36-6a2e-4f51-9a53-7b2d0c8b6a11"),
            nameof(FhirBoolean) => new FhirBoolean(true),
            nameof(Integer) or nameof(PositiveInt) or nameof(UnsignedInt) => (Base)Activator.CreateInstance(type, 1)!,
            nameof(FhirDecimal) => new FhirDecimal(1m),
            nameof(Date) => new Date("2020-01-01"),
            nameof(FhirDateTime) => new FhirDateTime("2020-01-01T00:00:00Z"),
            nameof(Instant) => new Instant(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            nameof(Time) => new Time("12:00:00"),
            nameof(Base64Binary) => new Base64Binary("kit"u8.ToArray()),
            nameof(ResourceReference) => new ResourceReference { Display = Text },
            nameof(CodeableConcept) => new CodeableConcept { Text = Text },
            nameof(Coding) => new Coding(Url, "kit"),
            nameof(XHtml) => new XHtml($"<div xmlns=\"http://www.w3.org/1999/xhtml\">{Text}</div>"),
            nameof(Narrative) => new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{Text}</div>" },
            _ when typeof(PrimitiveType).IsAssignableFrom(type) => null,
            nameof(Quantity) or nameof(Duration) or nameof(Age) or nameof(Distance) or nameof(Count)
                => Fill((Base)Activator.CreateInstance(type)!, depth + 1) is Quantity q ? WithValue(q) : null,
            _ => NotEmpty(Fill((Base)Activator.CreateInstance(type)!, depth + 1)),
        };
    }

    private static Quantity WithValue(Quantity q)
    {
        q.Value = 1;
        q.Unit = "1";
        return q;
    }

    /// <summary>A datatype with no mandatory elements (Attachment, Identifier, Period…) still needs one to exist: its first text or code element.</summary>
    private static Base? NotEmpty(Base instance)
    {
        if (instance.EnumerateElements().Any()) return instance;
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(instance.GetType())!;
        foreach (var property in mapping.PropertyMappings.Where(p => !p.IsCollection && p.Name is not ("id" or "extension")))
        {
            Base? value = property.ImplementingType.Name switch
            {
                nameof(FhirString) => new FhirString(Text),
                nameof(Code) => new Code("kit"),
                nameof(FhirUri) => new FhirUri(Url),
                nameof(FhirDateTime) => new FhirDateTime("2020-01-01T00:00:00Z"),
                nameof(FhirDecimal) => new FhirDecimal(1m),
                _ => null,
            };
            if (value is null) continue;
            property.NativeProperty!.SetValue(instance, value);
            return instance;
        }
        return null;
    }
}
