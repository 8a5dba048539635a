using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Security;

/// <summary>The CapabilityStatement's rest.security: SMART on FHIR with the token endpoint, or a loud "off".</summary>
public static class SmartCapability
{
    public const string OAuthUris = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    public static CapabilityStatement.SecurityComponent Describe(SecurityOptions options)
    {
        if (!options.IsEnabled)
            return new CapabilityStatement.SecurityComponent
            {
                Cors = false,
                Description = "SECURITY IS OFF on this server (Security:Enabled=false): no access token is needed and every client may read and write everything. Do not store real patient data here.",
            };
        var security = new CapabilityStatement.SecurityComponent
        {
            Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")],
            Description = "OAuth 2.0 bearer tokens (JWT) with SMART v2 scopes (patient|user|system/<type|*>.<cruds>, and v1 read/write). "
                          + "A patient claim limits a token to that patient's compartment; a fhircare_vendor claim to the members and Tasks assigned to that Organization. "
                          + (options.Embedded.Enabled ? "Backend services get tokens from the token endpoint below (client_credentials with a private_key_jwt assertion, RS384 or ES384)." : ""),
        };
        if (SmartConfiguration.TokenUrl(options) is { } token)
            security.Extension.Add(new Extension(OAuthUris, null) { Extension = [new Extension("token", new FhirUri(token))] });
        return security;
    }
}
