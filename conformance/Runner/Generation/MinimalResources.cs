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
        if (Completions.TryGetValue(type, out var complete)) complete(resource);
        return resource;
    }

    private static CodeableConcept Concept(string system, string code) => new(system, code);
    private static ResourceReference Display => new() { Display = Text };

    /// <summary>
    /// What the mandatory elements alone leave invalid: each type's invariants (key in the comment) and codes of
    /// required bindings on CodeableConcepts, which the model cannot tell. A generator run stops on a minimal resource
    /// the server's $validate refuses, so a missing completion shows up there.
    /// </summary>
    private static readonly Dictionary<string, Action<Resource>> Completions = new()
    {
        ["AdverseEvent"] = r => ((AdverseEvent)r).Severity = Concept("http://terminology.hl7.org/CodeSystem/adverse-event-severity", "mild"),
        ["AllergyIntolerance"] = r =>
        {
            var a = (AllergyIntolerance)r;
            a.ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"); // ait-1
            a.VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed");
        },
        ["Appointment"] = r =>
        {
            var a = (Appointment)r;
            a.Participant[0].Actor = Display; // app-1
            (a.Start, a.End) = (new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero), new DateTimeOffset(2021, 3, 4, 6, 6, 7, TimeSpan.Zero)); // app-2: both or neither
        },
        ["AppointmentResponse"] = r => ((AppointmentResponse)r).Actor = Display, // apr-1
        ["Bundle"] = r => ((Bundle)r).Type = Bundle.BundleType.Collection, // bdl-9, bdl-10 are for documents
        ["CapabilityStatement"] = r =>
        {
            var c = (CapabilityStatement)r;
            c.Kind = CapabilityStatementKind.Capability; // cpb-14..16: an instance needs implementation, a capability software
            c.Software = new CapabilityStatement.SoftwareComponent { Name = Text };
            c.Description = Text; // cpb-2
            c.Rest = [new CapabilityStatement.RestComponent { Mode = CapabilityStatement.RestfulCapabilityMode.Server }]; // cpb-1
            c.Rest[0].Resource.Add(new CapabilityStatement.ResourceComponent { Type = "Patient" });
        },
        ["Consent"] = r => ((Consent)r).PolicyRule = Concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"), // ppc-1
        ["DetectedIssue"] = r => ((DetectedIssue)r).Status = ObservationStatus.Final, // final: in R4's binding and in the (R5) one our definitions carry
        ["EventDefinition"] = r => ((EventDefinition)r).Trigger[0].Name = Text, // trd-3: a named event has a name
        ["ImmunizationRecommendation"] = r => ((ImmunizationRecommendation)r).Recommendation[0].VaccineCode = [new CodeableConcept { Text = Text }], // imr-1
        ["InsurancePlan"] = r => ((InsurancePlan)r).Name = Text, // ipn-1
        ["Linkage"] = r => ((Linkage)r).Item.Add(new Linkage.ItemComponent { Type = Linkage.LinkageType.Alternate, Resource = Display }), // lnk-1
        ["MolecularSequence"] = r => ((MolecularSequence)r).ReferenceSeq = new MolecularSequence.ReferenceSeqComponent
        {
            Chromosome = Concept("http://terminology.hl7.org/CodeSystem/chromosome-human", "1"), GenomeBuild = "GRCh38", // msq-5: both or neither
            // msq-6: genomeBuild is the one reference (not also an id, pointer or string)
        },
        ["Organization"] = r => ((Organization)r).Name = Text, // org-1
        ["Questionnaire"] = r => ((Questionnaire)r).Item = [new Questionnaire.ItemComponent { LinkId = "kit", Type = Questionnaire.QuestionnaireItemType.String, Text = Text }], // que-1: a group needs items
        ["RequestGroup"] = r => ((RequestGroup)r).Action = [new RequestGroup.ActionComponent { Title = Text, Resource = Display }], // rqg-1
        ["StructureDefinition"] = r =>
        {
            var sd = (StructureDefinition)r;
            sd.Type = "Basic";
            sd.Kind = StructureDefinition.StructureDefinitionKind.Resource;
            sd.BaseDefinition = "http://hl7.org/fhir/StructureDefinition/Basic";
            sd.Derivation = StructureDefinition.TypeDerivationRule.Constraint;
            sd.Differential = new StructureDefinition.DifferentialComponent { Element = [new ElementDefinition("Basic") { ElementId = "Basic" }] }; // sdf-6
        },
        ["ValueSet"] = r => ((ValueSet)r).Compose = new ValueSet.ComposeComponent
        {
            Include = [new ValueSet.ConceptSetComponent { System = Url, Concept = [new ValueSet.ConceptReferenceComponent { Code = "kit-code" }] }], // vsd-10 on a planted expansion
        },
        ["TerminologyCapabilities"] = r =>
        {
            var t = (TerminologyCapabilities)r;
            t.Kind = CapabilityStatementKind.Requirements; // tcp-3..5
            t.Description = Text; // tcp-2
        },
    };

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
