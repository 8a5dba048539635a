using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.XPath;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Execution;

/// <summary>
/// TestScript <c>path</c> (assert, variable): XPath over the resource's XML form. Steps without a prefix are read as
/// FHIR elements (<c>Patient/id</c> means <c>fhir:Patient/fhir:id</c>), and an element yields its <c>@value</c>.
/// </summary>
public static partial class XPathPaths
{
    private const string FhirNamespace = "http://hl7.org/fhir";

    public static IReadOnlyList<string> Evaluate(Resource resource, string path)
    {
        var navigator = new XPathDocument(new StringReader(FhirWire.ToXml(resource))).CreateNavigator();
        var namespaces = new XmlNamespaceManager(navigator.NameTable);
        namespaces.AddNamespace("fhir", FhirNamespace);
        object result;
        try
        {
            result = navigator.Evaluate(path.Contains(':') ? path : UnprefixedStep().Replace(path, "$1fhir:$2"), namespaces);
        }
        catch (XPathException e)
        {
            throw new AssertionSetupException($"path '{path}' is not valid XPath: {e.Message}");
        }
        return result switch
        {
            XPathNodeIterator nodes => nodes.Cast<XPathNavigator>().Select(ValueOf).ToList(),
            bool b => [b ? "true" : "false"],
            double d => [d.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            string s => [s],
            _ => [],
        };
    }

    private static string ValueOf(XPathNavigator node)
    {
        if (node.NodeType == XPathNodeType.Element && node.GetAttribute("value", "") is { Length: > 0 } value) return value;
        return node.Value;
    }

    [GeneratedRegex(@"(^|/)([A-Za-z][A-Za-z0-9]*)(?=/|\[|$)")]
    private static partial Regex UnprefixedStep();
}

/// <summary>An assert or variable that cannot be evaluated as written (bad expression, unknown source): an error, not a failure.</summary>
public sealed class AssertionSetupException(string message) : Exception(message);
