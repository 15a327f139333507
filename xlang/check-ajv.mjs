// Checks the generated JSON Schemas and the shared corpus with Ajv
// (JSON Schema 2020-12, strict mode, all errors, formats from ajv-formats).
//
//   node xlang/check-ajv.mjs        (run from anywhere; xlang/run.sh does it)
//
// 1. Every spec/*.schema.json is added to one Ajv instance (so each $id
//    resolves) and compiled with `strict: true`. Any strict-mode complaint
//    fails the run: it names something in the generated schemas that Ajv
//    users would meet, to be fixed in the generator, not waved through here.
// 2. The schemas inside spec/openapi.json (components/schemas) are compiled
//    the same way (relocated under $defs, see below).
// 3. Every spec/corpus/*.json entry is validated against its message's
//    schema (and its OpenAPI component); the verdict must match `valid`, and
//    for an invalid entry some error's instancePath must equal `at`. Ajv's
//    `if` errors ("must match \"then\" schema") do not count: they only
//    wrap the failing `then` errors, at the path of the object the `if`
//    applies to, not where the violation is (Rust and Python report only
//    the inner errors).
//
// When strict compilation fails, step 3 still runs on a diagnostic build
// whose strict-mode complaints are collected instead of thrown, so that one
// run reports both kinds of problem; the run fails either way.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const specDir = path.join(root, "spec");
const corpusDir = path.join(specDir, "corpus");
const ID_BASE = "https://cancel-conformance.example/spec/";
const COMPONENTS = {
  "cancel-request": "CancelRequest",
  "cancel-response": "CancelResponse",
  "inquiry-request": "InquiryRequest",
  "inquiry-response": "InquiryResponse",
};

const problems = [];
const fail = (msg) => problems.push(msg);

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

const schemaFiles = fs
  .readdirSync(specDir)
  .filter((f) => f.endsWith(".schema.json"))
  .sort();
const schemas = schemaFiles.map((f) => ({ file: f, doc: readJson(path.join(specDir, f)) }));
const openapi = readJson(path.join(specDir, "openapi.json"));

// The OpenAPI document is not a schema, and Ajv compiles the whole document
// a reference points into; so its message schemas are compiled from a copy
// of components/schemas moved under $defs, each "#/components/schemas/X"
// reference rewritten to "#/$defs/X" (the same schemas, relocated).
const OPENAPI_COMPONENTS_ID = `${ID_BASE}openapi.json.components`;
function relocate(value) {
  if (Array.isArray(value)) return value.map(relocate);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof child === "string" && child.startsWith("#/components/schemas/")
        ? `#/$defs/${child.slice("#/components/schemas/".length)}`
        : relocate(child);
  }
  return out;
}
const openapiComponents = {
  $schema: openapi.jsonSchemaDialect,
  $id: OPENAPI_COMPONENTS_ID,
  $defs: relocate(openapi.components?.schemas ?? {}),
};

const addErrors = new Set();
/** One Ajv instance holding every schema and the OpenAPI components. */
function makeAjv(options) {
  const ajv = new Ajv2020({ allErrors: true, ...options });
  addFormats(ajv);
  const add = (name, doc) => {
    try {
      ajv.addSchema(doc);
    } catch (err) {
      // An invalid schema (by the 2020-12 meta-schema) or a duplicate $id.
      addErrors.add(`${name}: ${err.message}`);
    }
  };
  for (const { file, doc } of schemas) add(`spec/${file}`, doc);
  add("spec/openapi.json#/components/schemas", openapiComponents);
  return ajv;
}

for (const { file, doc } of schemas) {
  if (doc.$id !== `${ID_BASE}${file}`) {
    fail(`spec/${file}: $id is ${JSON.stringify(doc.$id)}, expected ${ID_BASE}${file}`);
  }
}
if (openapi.jsonSchemaDialect !== "https://json-schema.org/draft/2020-12/schema") {
  fail(`spec/openapi.json: jsonSchemaDialect is ${JSON.stringify(openapi.jsonSchemaDialect)}`);
}

const targets = [
  ...schemas.map(({ file, doc }) => ({ name: `spec/${file}`, ref: doc.$id })),
  ...Object.keys(openapiComponents.$defs).map((name) => ({
    name: `spec/openapi.json#/components/schemas/${name}`,
    ref: `${OPENAPI_COMPONENTS_ID}#/$defs/${name}`,
  })),
];

/** Compiles every target with Ajv instances from `newAjv` (one shared, or
 * one per target with `perTarget`); with `lenientFormats`, an unknown format
 * is recorded in `unknownFormats`, registered as a no-op, and compiling
 * retried, so that every unknown format is found, not just the first. */
function compileAll(newAjv, { perTarget = false, lenientFormats = false, unknownFormats = [] } = {}) {
  const compiled = new Map();
  const errors = [];
  const shared = perTarget ? null : newAjv();
  for (const { name, ref } of targets) {
    const ajv = shared ?? newAjv();
    for (;;) {
      try {
        const validate = ajv.getSchema(ref);
        if (!validate) throw new Error(`no schema for ${ref}`);
        compiled.set(ref, validate);
      } catch (err) {
        const unknown = /^unknown format "([^"]+)"/.exec(err.message);
        if (lenientFormats && unknown) {
          unknownFormats.push(`${name}: ${err.message}`);
          ajv.addFormat(unknown[1], true);
          continue;
        }
        errors.push(`${name}: ${err.message}`);
      }
      break;
    }
  }
  return { compiled, errors };
}

// 1 + 2: strict compilation.
const strict = compileAll(() => makeAjv({ strict: true }));
for (const err of addErrors) fail(`add schema: ${err}`);
for (const err of strict.errors) fail(`strict compile: ${err}`);

let compiled = strict.compiled;
let diagnostic = null;
if (strict.errors.length > 0) {
  // Ajv throws on the first strict complaint of a schema; collect them all.
  const warnings = [];
  const logger = {
    log() {},
    warn: (...args) => warnings.push(args.join(" ")),
    error: (...args) => warnings.push(args.join(" ")),
  };
  const newAjv = () =>
    makeAjv({
      strict: "log",
      strictSchema: "log",
      strictNumbers: "log",
      strictTypes: "log",
      strictTuples: "log",
      strictRequired: "log",
      logger,
    });
  const unknownFormats = [];
  const result = compileAll(newAjv, { perTarget: true, lenientFormats: true, unknownFormats });
  for (const err of result.errors) fail(`compile (strict complaints logged): ${err}`);
  diagnostic = [...new Set([...warnings, ...unknownFormats])];
  compiled = result.compiled;
}

// 3: the corpus.
const corpusFiles = fs
  .readdirSync(corpusDir)
  .filter((f) => f.endsWith(".json"))
  .sort();
let entries = 0;
let checks = 0;
let agreed = 0;
for (const file of corpusFiles) {
  const list = readJson(path.join(corpusDir, file));
  if (!Array.isArray(list)) {
    fail(`spec/corpus/${file}: not a list of entries`);
    continue;
  }
  list.forEach((entry, index) => {
    entries += 1;
    const place = `spec/corpus/${file}#${index} (${entry.description})`;
    const component = COMPONENTS[entry.message];
    if (!component) {
      fail(`${place}: unknown message ${JSON.stringify(entry.message)}`);
      return;
    }
    const refs = [
      [`spec/${entry.message}.schema.json`, `${ID_BASE}${entry.message}.schema.json`],
      [`openapi.json ${component}`, `${OPENAPI_COMPONENTS_ID}#/$defs/${component}`],
    ];
    for (const [label, ref] of refs) {
      const validate = compiled.get(ref);
      if (!validate) {
        fail(`${place}: ${label} did not compile, entry not checked`);
        continue;
      }
      checks += 1;
      const ok = validate(entry.instance);
      const errors = validate.errors ?? [];
      const listed = errors
        .map((e) => `\n    at ${e.instancePath || "/"}: ${e.message} (schema ${e.schemaPath})`)
        .join("");
      if (entry.valid && !ok) {
        fail(`${place} [${label}]: expected valid, Ajv says invalid:${listed}`);
      } else if (!entry.valid && ok) {
        fail(`${place} [${label}]: expected invalid at ${JSON.stringify(entry.at)}, Ajv says valid`);
      } else if (!entry.valid && !errors.some((e) => e.keyword !== "if" && e.instancePath === entry.at)) {
        fail(`${place} [${label}]: expected an error at ${JSON.stringify(entry.at)}, Ajv says:${listed}`);
      } else {
        agreed += 1;
      }
    }
  });
}
if (entries === 0) fail("spec/corpus/ holds no entries");

const strictlyCompiled = strict.compiled.size;
console.log(`ajv: ${strictlyCompiled}/${targets.length} schemas compile in strict mode`);
if (diagnostic) {
  console.log(
    `ajv: ${compiled.size}/${targets.length} compile with strict complaints logged instead; the corpus ran on those`
  );
}
console.log(`ajv: corpus ${entries} entries, ${agreed}/${checks} checks agree`);
if (diagnostic && diagnostic.length > 0) {
  console.error("\najv strict mode rejects the generated schemas; every complaint:");
  for (const w of diagnostic) console.error(`  ${w}`);
}
if (problems.length > 0) {
  console.error(`\najv: FAILED, ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
}
// Schemas compiled in strict mode and corpus checks that agree, against
// every problem found.
console.log(`ajv: ${strictlyCompiled + agreed} passed, ${problems.length} failed`);
process.exitCode = problems.length > 0 ? 1 : 0;
