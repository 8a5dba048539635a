using System.Text.Json;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Parameters;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// The POCO fast paths must index exactly what FHIRPath indexes, for every parameter, on every official example.
/// One known difference is allowed: R4 writes some unions as "(X.component.value as Quantity)", and FHIRPath's
/// "as" on a collection of several items yields nothing; the fast path filters item by item, which is what the
/// parameter means (R5 rewrote these with ofType), so there it may index more, never less. Likewise composites
/// whose components say "value.as(DateTime)": FHIRPath takes DateTime as the System type and matches no FHIR
/// dateTime; the fast path reads it as the FHIR type the parameter is about.
/// </summary>
public sealed class PathExpressionTests
{
    private static readonly SearchParameterRegistry Registry = new();

    public static TheoryData<string> Examples() =>
        new(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "spec-examples"), "*.json")
            .Select(Path.GetFileName).Where(f => f != "Observation-decimal.json")!);

    [Theory]
    [MemberData(nameof(Examples))]
    public void Fast_paths_select_what_fhirpath_selects(string file)
    {
        var reader = new Utf8JsonReader(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "spec-examples", file)));
        var resource = new FhirJsonDeserializer().DeserializeResource(ref reader);
        var root = resource.ToPocoNode();
        var context = new FhirEvaluationContext { ElementResolver = IndexExtractor.ResolveTypeOnly };
        var compared = 0;
        foreach (var p in Registry.For(resource.TypeName).Where(p => p.Paths is not null))
        {
            var composite = p.Type == SearchParamType.Composite;
            var expected = new List<IndexValue>();
            foreach (var node in p.Compiled!(root, context))
                if (composite) CompositeParameter.Extract(p, node, context, expected);
                else IndexExtractor.Add(p, node.Poco, expected);
            var selected = new List<Base>();
            foreach (var path in p.Paths!) path.Evaluate(resource, selected);
            var actual = new List<IndexValue>();
            foreach (var value in selected)
                if (composite) CompositeParameter.Extract(p, value, actual);
                else IndexExtractor.Add(p, value, actual);
            var (e, a) = (expected.ToHashSet(), actual.ToHashSet());
            var usesAs = p.Expression.Contains(" as ") || p.Components.Any(c => c.Expression.Contains("as("));
            var ok = e.SetEquals(a) || (usesAs && e.IsSubsetOf(a));
            Assert.True(ok, $"{p.IndexKey} ({p.Expression}): FHIRPath indexes {e.Count} values, the fast path {a.Count}");
            compared++;
        }
        Assert.True(compared > 0, $"no fast path was compared for {resource.TypeName}");
    }

    [Theory]
    [InlineData("Patient.name", "Patient", true)]
    [InlineData("(Observation.value as Quantity)", "Observation", true)]
    [InlineData("Observation.subject.where(resolve() is Patient)", "Observation", true)]
    [InlineData("Patient.telecom.where(system='phone')", "Patient", true)]
    [InlineData("Patient.deceased.exists() and Patient.deceased != false", "Patient", false)]
    [InlineData("Observation.name", "Patient", false)]
    public void Compiles_only_the_shapes_it_can_evaluate(string expression, string type, bool compiles) =>
        Assert.Equal(compiles, PathExpression.TryCompile(expression, type) is not null);
}
