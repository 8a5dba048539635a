using FhirCare.Conformance;
using FhirCare.FhirFacade.Tests.Validation;
using FhirCare.FhirFacade.Validation;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>
/// Every resource the kit writes is valid against its core definition and claimed profiles (the server's default
/// Validation:Mode=profiles), so the kit runs against a validating server and a fixture failure means a server bug.
/// Fixtures named <c>*-invalid.json</c> are invalid on purpose (the unhappy paths of the hand-written scripts).
/// </summary>
public sealed class KitFixtureTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(KitFolder.Find(), "*.json", SearchOption.AllDirectories)
                     .Where(f => f.Contains($"{Path.DirectorySeparatorChar}fixtures{Path.DirectorySeparatorChar}") && f.Contains($"{Path.DirectorySeparatorChar}scripts{Path.DirectorySeparatorChar}"))
                     .Where(f => !f.EndsWith("-invalid.json", StringComparison.Ordinal))
                     .Select(f => Path.GetRelativePath(KitFolder.Find(), f)).Order(StringComparer.Ordinal))
            data.Add(file);
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_kit_fixture_is_valid(string file)
    {
        var resource = Validators.Parse(Path.Combine(KitFolder.Find(), file));
        var outcome = Validators.Profiles.Validate(resource, ValidationMode.Profiles, null);
        Assert.True(!Validators.Errors(outcome).Any(), $"{file}:\n{Validators.Describe(outcome)}");
    }
}
