using System.Collections;
using Hl7.Fhir.Model;
using BindingStrength = Hl7.Fhir.Model.BindingStrength;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// Walks a resource against a StructureDefinition snapshot (validation.html): cardinality at every level, choice and
/// data types, fixed and pattern values, slicing (value/pattern/type discriminators, open and closed), bindings,
/// every constraint expression, reference targets, extensions against their definitions and nested data types
/// against their own (or their profile's) definitions. Contained and bundled resources are validated against their
/// core types. Findings go into <see cref="ValidationIssues"/>.
/// </summary>
public sealed partial class StructureValidator(Definitions definitions, Invariants invariants, Terminology terminology, string ownCanonicalBase)
{
    private readonly Definitions _definitions = definitions;
    private readonly Invariants _invariants = invariants;
    private readonly Terminology _terminology = terminology;
    private readonly string _ownBase = ownCanonicalBase;

    public void Validate(Resource resource, ElementTree tree, ValidationIssues issues)
    {
        var walk = new Walk(this, issues, resource);
        walk.Element(resource, () => resource.ToPocoNode(), tree.Root, resource.TypeName, isTypeRoot: false);
    }

    private sealed class Walk(StructureValidator v, ValidationIssues issues, Resource root)
    {
        /// <summary>One instance element against one element definition (and, below it, its type's definition).</summary>
        public void Element(Base value, Func<PocoNode> node, ElementNode element, string path, bool isTypeRoot)
        {
            var definition = element.Definition;
            if (!isTypeRoot)
            {
                if (!TypeAllowed(value, definition, path)) return;
                FixedAndPattern(value, definition, path);
                if (definition.MaxLength is { } maxLength) MaxLength(value, maxLength, definition, path);
                if (definition.Binding is { ValueSet: { Length: > 0 } } binding) Binding(value, binding, path);
                if (value is ResourceReference reference) ReferenceTarget(reference, definition, path);
            }
            Constraints(value, node, definition, path);

            if (element.HasChildren) Children(value, node, element, path);
            else Below(value, node, definition, path);
        }

        /// <summary>An element without children in this snapshot: validate against its type's definition (or profile).</summary>
        private void Below(Base value, Func<PocoNode> node, ElementDefinition definition, string path)
        {
            if (value is Resource resource)
            {
                // A profile the element names for its resource (Bundle.entry.resource in a profiled Bundle), else the core type.
                var profiled = definition.Type.SelectMany(t => t.Profile).Select(p => v._definitions.Tree(p))
                    .FirstOrDefault(t => t?.Definition.Type == resource.TypeName);
                if ((profiled ?? v._definitions.CoreType(resource.TypeName)) is { } resourceTree)
                    Element(resource, node, resourceTree.Root, path, isTypeRoot: true);
                return;
            }
            if (value is PrimitiveType primitive && primitive.Extension.Count == 0 && primitive.ElementId is null) return;
            var type = definition.Type.FirstOrDefault(t => t.Code == value.TypeName);
            ElementTree? tree = null;
            foreach (var profile in type?.Profile ?? [])
                if (v._definitions.Tree(profile) is { } t) { tree = t; break; }
            if (tree is null && value is Extension extension)
            {
                tree = ExtensionDefinition(extension, path);
                if (tree is null) { Children(value, node, v._definitions.CoreType("Extension")!.Root, path); return; }
            }
            tree ??= v._definitions.CoreType(value.TypeName);
            if (tree is null) return;
            if (value is Extension) ExtensionContext(tree.Definition, path);
            Element(value, node, tree.Root, path, isTypeRoot: true);
        }

        /// <summary>The element an extension sits on (set by <see cref="Children"/> just before the extension is walked).</summary>
        private (Base Value, string Path) _host;

        /// <summary>An extension may only be used where its definition's context allows (StructureDefinition.context).</summary>
        private void ExtensionContext(StructureDefinition extension, string path)
        {
            if (extension.Context.Count == 0 || _host.Value is null) return;
            var hostType = _host.Value.TypeName;
            var hostPath = IndexPattern().Replace(_host.Path, "");
            foreach (var context in extension.Context)
            {
                var expression = context.Expression?.Replace("[x]", "") ?? "";
                var allowed = context.Type switch
                {
                    StructureDefinition.ExtensionContextType.Element => expression == hostType || expression == hostPath || expression == "Element"
                        || (_host.Value is Resource && expression is "Resource" or "DomainResource"),
                    StructureDefinition.ExtensionContextType.Extension => _host.Value is Extension e && e.Url == expression,
                    _ => true, // FHIRPath contexts are not evaluated here
                };
                if (allowed) return;
            }
            var message = $"Extension {extension.Url} is not allowed on {hostPath}; its context is {string.Join(", ", extension.Context.Select(c => c.Expression))}";
            if (extension.Url.StartsWith(v._ownBase, StringComparison.Ordinal)) issues.Error(IssueType.Extension, path, message);
            else issues.Warning(IssueType.Extension, path, message);
        }

        private ElementTree? ExtensionDefinition(Extension extension, string path)
        {
            if (string.IsNullOrEmpty(extension.Url)) return null; // ext-1 and the url cardinality report it
            if (v._definitions.Tree(extension.Url) is { } tree) return tree;
            if (extension.Url.StartsWith(v._ownBase, StringComparison.Ordinal))
                issues.Error(IssueType.Extension, path, $"Unknown extension {extension.Url}: no such extension is defined by this server's implementation guide");
            else
                issues.Information(IssueType.Extension, path, $"Extension {extension.Url} is not known here; its content was not checked");
            return null;
        }

        private void Children(Base value, Func<PocoNode> node, ElementNode element, string path)
        {
            var present = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var child in value.EnumerateElements()) present[child.Key] = child.Value;
            foreach (var group in element.Groups)
            {
                var name = group.Element.Name;
                var items = present.Remove(name, out var found) ? AsList(found) : [];
                var isList = found is IList;
                var childPath = path + "." + name;
                Cardinality(group.Element.Definition, items.Count, childPath, name);
                if (items.Count == 0) { ReportMissingSlices(group, childPath); continue; }
                var assigned = Assign(group, items, childPath, isList);
                for (int i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    var itemPath = isList ? $"{childPath}[{i}]" : childPath;
                    var index = isList ? i : (int?)null;
                    var parent = node;
                    Func<PocoNode> itemNode = Memo(() => new PocoNode(item, parent(), index, name));
                    if (item is Extension) _host = (value, path);
                    Element(item, itemNode, assigned[i] ?? group.Element, itemPath, isTypeRoot: false);
                }
            }
            foreach (var extra in present.Keys)
                issues.Error(IssueType.Structure, path + "." + extra, $"{extra} is not allowed here");
        }

        /// <summary>
        /// Assigns each item to the slice it matches (null: none), then checks the slicing's rules
        /// (profiling.html#slicing): slice cardinality, closed (every item in a slice), openAtEnd (items in no slice
        /// come after all sliced ones) and ordered (sliced items in the order the slices are defined).
        /// </summary>
        private ElementNode?[] Assign(ElementGroup group, List<Base> items, string path, bool isList)
        {
            var assigned = new ElementNode?[items.Count];
            var slicing = group.Element.Definition.Slicing;
            if (group.Slices.Count == 0 || slicing is null) return assigned;
            var context = new SliceContext(v._definitions, root, Conforms);
            var counts = new int[group.Slices.Count];
            var sliceOf = new int[items.Count];
            var unknown = 0;
            string At(int i) => isList ? $"{path}[{i}]" : path;
            for (int i = 0; i < items.Count; i++)
            {
                sliceOf[i] = -1;
                var undetermined = false;
                for (int s = 0; s < group.Slices.Count && sliceOf[i] < 0; s++)
                {
                    var match = Slicing.Matches(items[i], group.Slices[s], slicing, context);
                    if (match == SliceMatch.Unknown) undetermined = true;
                    if (match != SliceMatch.Yes) continue;
                    sliceOf[i] = s;
                    assigned[i] = group.Slices[s];
                    counts[s]++;
                }
                if (sliceOf[i] >= 0) continue;
                if (undetermined)
                {
                    // A discriminator needs a reference this validation cannot follow: the item's slice stays unknown.
                    sliceOf[i] = -2;
                    unknown++;
                    issues.Information(IssueType.Informational, At(i),
                        $"Which slice of {group.Element.Definition.Path} this {group.Element.Name} belongs to could not be determined: a discriminator needs a reference that cannot be resolved here");
                    continue;
                }
                if (slicing.Rules == ElementDefinition.SlicingRules.Closed)
                    issues.Error(IssueType.Structure, At(i),
                        $"This {group.Element.Name} matches none of the slices of {group.Element.Definition.Path}, and the slicing is closed");
            }
            SliceOrder(group, slicing, sliceOf, At);
            for (int s = 0; s < group.Slices.Count; s++)
            {
                var name = $"{group.Element.Name}:{group.Slices[s].Definition.SliceName}";
                // Items whose slice is unknown may fill a slice: too few is then only a warning.
                if (unknown > 0 && counts[s] < (group.Slices[s].Definition.Min ?? 0))
                    issues.Warning(IssueType.Required, path, $"{name}: minimum required = {group.Slices[s].Definition.Min}, but only found {counts[s]} for certain ({unknown} could not be assigned to a slice)");
                else
                    Cardinality(group.Slices[s].Definition, counts[s], path, name);
            }
            return assigned;
        }

        /// <summary>ordered: each sliced item comes no earlier than the items of earlier slices; openAtEnd: unsliced items come last.</summary>
        private void SliceOrder(ElementGroup group, ElementDefinition.SlicingComponent slicing, int[] sliceOf, Func<int, string> at)
        {
            var ordered = slicing.Ordered == true;
            var openAtEnd = slicing.Rules == ElementDefinition.SlicingRules.OpenAtEnd;
            if (!ordered && !openAtEnd) return;
            int latest = -1, firstUnsliced = -1;
            for (int i = 0; i < sliceOf.Length; i++)
            {
                var s = sliceOf[i];
                if (s == -1) { if (firstUnsliced < 0) firstUnsliced = i; continue; }
                if (s < 0) continue;
                if (openAtEnd && firstUnsliced >= 0)
                    issues.Error(IssueType.Structure, at(i),
                        $"This {group.Element.Name} is in slice {group.Slices[s].Definition.SliceName} but comes after {at(firstUnsliced)}, which is in no slice; the slicing of {group.Element.Definition.Path} is openAtEnd (unsliced items must come last)");
                if (ordered && s < latest)
                    issues.Error(IssueType.Structure, at(i),
                        $"This {group.Element.Name} is in slice {group.Slices[s].Definition.SliceName} but comes after an item of slice {group.Slices[latest].Definition.SliceName}; the slicing of {group.Element.Definition.Path} is ordered ({string.Join(", ", group.Slices.Select(x => x.Definition.SliceName))})");
                latest = Math.Max(latest, s);
            }
        }

        /// <summary>Whether an element conforms to a profile (profile discriminators): a validation of its own, errors only.</summary>
        private bool Conforms(Base item, string profile)
        {
            if (v._definitions.Tree(profile) is not { } tree) return false;
            var probe = new ValidationIssues();
            var walk = new Walk(v, probe, item as Resource ?? root);
            walk.Element(item, () => item.ToPocoNode(), tree.Root, item is Resource r ? r.TypeName : item.TypeName, isTypeRoot: true);
            return !probe.HasErrors;
        }

        private void ReportMissingSlices(ElementGroup group, string path)
        {
            foreach (var slice in group.Slices) Cardinality(slice.Definition, 0, path, $"{group.Element.Name}:{slice.Definition.SliceName}");
        }

        private void Cardinality(ElementDefinition definition, int count, string path, string name)
        {
            var min = definition.Min ?? 0;
            var max = definition.Max is null or "*" ? int.MaxValue : int.Parse(definition.Max, System.Globalization.CultureInfo.InvariantCulture);
            if (count < min)
                issues.Error(IssueType.Required, path, $"{name}: minimum required = {min}, but only found {count} (from {definition.Path})");
            else if (count > max)
                issues.Error(IssueType.Structure, path, max == 0
                    ? $"{name} is not allowed here (max = 0 in {definition.Path})"
                    : $"{name}: maximum allowed = {max}, but found {count} (from {definition.Path})");
        }

        private bool TypeAllowed(Base value, ElementDefinition definition, string path)
        {
            if (definition.Type.Count == 0 || value is Resource) return true;
            var actual = value.TypeName;
            foreach (var t in definition.Type)
                if (t.Code == actual || t.Code is "Element" or "BackboneElement" || t.Code.StartsWith("http://hl7.org/fhirpath/", StringComparison.Ordinal)) return true;
            issues.Error(IssueType.Structure, path,
                $"{actual} is not allowed for {definition.Path}; allowed: {string.Join(", ", definition.Type.Select(t => t.Code))}");
            return false;
        }

        private void FixedAndPattern(Base value, ElementDefinition definition, string path)
        {
            if (definition.Fixed is { } fixedValue && !Slicing.SameValue(value, fixedValue, exact: true))
                issues.Error(IssueType.Value, path, $"Value must be exactly {Slicing.Show(fixedValue)} (fixed in {definition.Path})");
            if (definition.Pattern is { } pattern && !Slicing.SameValue(value, pattern, exact: false))
                issues.Error(IssueType.Value, path, $"Value must match the pattern {Slicing.Show(pattern)} (from {definition.Path})");
        }

        /// <summary>maxLength (elementdefinition-definitions.html#ElementDefinition.maxLength): counted in characters.</summary>
        private void MaxLength(Base value, int maxLength, ElementDefinition definition, string path)
        {
            if (value is not PrimitiveType { ObjectValue: string text }) return;
            var length = new System.Globalization.StringInfo(text).LengthInTextElements;
            if (length > maxLength)
                issues.Error(IssueType.TooLong, path, $"{definition.Path}: at most {maxLength} characters allowed, but this value has {length}");
        }

        private void Binding(Base value, ElementDefinition.ElementDefinitionBindingComponent binding, string path)
        {
            var strength = binding.Strength;
            if (strength is not (BindingStrength.Required or BindingStrength.Extensible or BindingStrength.Preferred)) return;
            var codings = value switch
            {
                Coding c => [(c.System, c.Code)],
                CodeableConcept cc => cc.Coding.Select(c => (c.System, c.Code)).ToList(),
                PrimitiveType { TypeName: "code" } p when p.ObjectValue is not null => [((string?)null, p.ToString()!)],
                _ => null,
            };
            if (codings is null) return;
            var vs = binding.ValueSet;
            var results = codings.Where(c => c.Code is not null).Select(c => v._terminology.Contains(vs, c.System, c.Code!)).ToList();
            if (results.Contains(Terminology.Membership.Member)) return;
            if (results.Count == 0)
            {
                if (strength == BindingStrength.Required && value is CodeableConcept)
                    issues.Error(IssueType.CodeInvalid, path, $"No code given; the binding to {vs} is required");
                return;
            }
            var shown = string.Join(", ", codings.Select(c => c.System is null ? c.Code : $"{c.System}#{c.Code}"));
            if (results.All(r => r == Terminology.Membership.Unknown))
            {
                if (strength == BindingStrength.Required)
                    issues.Information(IssueType.CodeInvalid, path, $"{shown} could not be checked against {vs} (its code systems cannot be expanded here)");
                return;
            }
            var message = $"{shown} is not in the value set {vs} ({strength.ToString()!.ToLowerInvariant()} binding)";
            if (strength == BindingStrength.Required) issues.Error(IssueType.CodeInvalid, path, message);
            else issues.Warning(IssueType.CodeInvalid, path, message);
        }

        private void ReferenceTarget(ResourceReference reference, ElementDefinition definition, string path)
        {
            var type = definition.Type.FirstOrDefault(t => t.Code == "Reference");
            if (type is null || type.TargetProfile.Count(p => p is not null) == 0) return;
            var allowed = type.TargetProfile.Select(p => v._definitions.TypeOf(p) ?? p[(p.LastIndexOf('/') + 1)..]).ToHashSet(StringComparer.Ordinal);
            if (allowed.Contains("Resource")) return;
            var target = References.TargetType(reference, root);
            if (target is null || allowed.Contains(target)) return;
            issues.Error(IssueType.Invalid, path + (reference.Reference is null ? ".type" : ".reference"),
                $"A reference to {target} is not allowed for {definition.Path}; allowed: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
        }

        private void Constraints(Base value, Func<PocoNode> node, ElementDefinition definition, string path)
        {
            foreach (var constraint in definition.Constraint)
            {
                if (string.IsNullOrEmpty(constraint.Expression)) continue;
                var holds = v._invariants.Holds(constraint, value, node);
                if (holds == true) continue;
                if (holds is null)
                {
                    issues.Information(IssueType.Informational, path, $"Constraint {constraint.Key} could not be evaluated: {constraint.Expression}");
                    continue;
                }
                var message = $"Constraint {constraint.Key} failed: {constraint.Human}";
                if (constraint.Severity == ConstraintSeverity.Warning) issues.Warning(IssueType.Invariant, path, message);
                else issues.Error(IssueType.Invariant, path, message);
            }
        }

        private static List<Base> AsList(object value) => value switch
        {
            Base b => [b],
            IEnumerable list => list.OfType<Base>().ToList(),
            _ => [],
        };

        private static Func<PocoNode> Memo(Func<PocoNode> create)
        {
            PocoNode? made = null;
            return () => made ??= create();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]")]
    private static partial System.Text.RegularExpressions.Regex IndexPattern();
}
