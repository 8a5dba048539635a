using FhirCare.FhirFacade;

var builder = WebApplication.CreateBuilder(args);
builder.AddFhirCare();
var app = builder.Build();
app.UseFhirCare();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
