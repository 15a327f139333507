// Compiles hand-written code against the TypeScript types that quicktype,
// json-schema-to-typescript and openapi-typescript generate from spec/
// (xlang/run.sh generates them into xlang/.generated/ first), under
// `tsc --strict`, with each TypeScript that xlang/ pins: 7 (xlang/) and
// 5 (xlang/typegen/, the one openapi-typescript runs on).
//
// - MUST COMPILE: usage.ts, strict/accept.ts, strict/quicktype-gaps.ts and
//   each generator's samples.ts (every valid corpus entry). A failure is a
//   generated type that rejects a message the schema accepts.
// - MUST NOT COMPILE: each strict/reject-*.ts, compiled on its own. tsc must
//   report an error on every line marked `// must not compile` and on no
//   other line (an error elsewhere, a missing import say, proves nothing);
//   a marked line that compiles is a generated type that lets through a
//   message the schema rejects.
// - The cancel request schema's description names quicktype's gap (what
//   quicktype-gaps.ts shows it letting through).
//
//   node xlang/typescript/check-types.mjs
//
// Closes with "typescript: N passed, M failed" (one check per compiler and
// file group); exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const xlang = path.resolve(here, "..");
const strict = path.join(here, "strict");
const generated = path.join(xlang, ".generated");
const MARK = "// must not compile";
const FLAGS = [
  "--strict",
  "--noEmit",
  "--target", "es2022",
  "--module", "nodenext",
  "--moduleResolution", "nodenext",
  "--skipLibCheck",
  "--pretty", "false",
];

const compilers = [
  { dir: xlang },
  { dir: path.join(xlang, "typegen") },
].map(({ dir }) => {
  const version = JSON.parse(
    fs.readFileSync(path.join(dir, "node_modules", "typescript", "package.json"), "utf8"),
  ).version;
  return { name: `tsc ${version}`, bin: path.join(dir, "node_modules", ".bin", "tsc") };
});

const mustCompile = [
  path.join(here, "usage.ts"),
  path.join(strict, "accept.ts"),
  path.join(strict, "quicktype-gaps.ts"),
  path.join(generated, "ts", "samples.ts"),
  path.join(generated, "json-schema-to-typescript", "samples.ts"),
  path.join(generated, "openapi-typescript", "samples.ts"),
];
const mustNotCompile = fs
  .readdirSync(strict)
  .filter((f) => f.startsWith("reject-") && f.endsWith(".ts"))
  .sort()
  .map((f) => path.join(strict, f));

const rel = (file) => path.relative(xlang, file);

/** Runs tsc on `files`; returns its exit status and its errors as
 * {file (absolute), line, text}. */
function compile(compiler, files) {
  const run = spawnSync(compiler.bin, [...FLAGS, ...files], { cwd: xlang, encoding: "utf8" });
  if (run.error) throw new Error(`${compiler.name}: could not run ${compiler.bin}: ${run.error.message}`);
  const output = `${run.stdout}${run.stderr}`;
  const errors = [];
  for (const line of output.split("\n")) {
    const found = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line.trim());
    if (found) {
      errors.push({ file: path.resolve(xlang, found[1]), line: Number(found[2]), text: found[4] });
    } else if (line.includes("error TS")) {
      // An error without a place (a bad flag, a missing file).
      errors.push({ file: "", line: 0, text: line.trim() });
    }
  }
  return { status: run.status, errors, output };
}

/** The 1-based numbers of the lines of `file` that end in the mark (a
 * comment line that only names the mark is no mark). */
function markedLines(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .flatMap((text, index) =>
      text.includes(MARK) && !text.trimStart().startsWith("//") ? [index + 1] : [],
    );
}

let passed = 0;
let failed = 0;
const fail = (what, detail) => {
  failed += 1;
  console.error(`typescript: FAILED ${what}${detail ? `\n${detail}` : ""}`);
};

for (const compiler of compilers) {
  const missing = mustCompile.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    fail(`${compiler.name}: missing ${missing.map(rel).join(", ")} (run xlang/run.sh)`);
  } else {
    const { status, errors, output } = compile(compiler, mustCompile);
    if (status === 0 && errors.length === 0) {
      passed += 1;
      console.log(`typescript: ${compiler.name}: ${mustCompile.map(rel).join(", ")} compile`);
    } else {
      fail(`${compiler.name}: a generated type rejects what the schema accepts`, output.trim());
    }
  }

  for (const file of mustNotCompile) {
    const marked = markedLines(file);
    const { status, errors, output } = compile(compiler, [file]);
    const errorLines = new Set(errors.filter((e) => e.file === file).map((e) => e.line));
    const elsewhere = errors.filter((e) => e.file !== file || !marked.includes(e.line));
    const compiled = marked.filter((line) => !errorLines.has(line));
    if (marked.length === 0) {
      fail(`${compiler.name}: ${rel(file)} marks no line \`${MARK}\``);
    } else if (status === 0) {
      fail(`${compiler.name}: ${rel(file)} compiles, but every line marked \`${MARK}\` must not`);
    } else if (compiled.length > 0 || elsewhere.length > 0) {
      const lines = [
        ...compiled.map((line) => `  ${rel(file)}:${line}: compiles, though marked \`${MARK}\``),
        ...elsewhere.map((e) => `  ${e.file ? rel(e.file) : "tsc"}:${e.line}: unexpected error ${e.text}`),
      ];
      fail(`${compiler.name}: ${rel(file)}`, `${lines.join("\n")}\n${output.trim()}`);
    } else {
      passed += 1;
      console.log(
        `typescript: ${compiler.name}: ${rel(file)} fails to compile on each of its ${marked.length} marked lines, and only there`,
      );
    }
  }
}

// What quicktype-gaps.ts shows a type letting through, the schema must say
// in its description, where a TypeScript reader of the schema looks.
const description = JSON.parse(
  fs.readFileSync(path.join(xlang, "..", "spec", "cancel-request.schema.json"), "utf8"),
).description;
if (/quicktype/.test(description) && /at least one\s+id/.test(description)) {
  passed += 1;
  console.log("typescript: spec/cancel-request.schema.json's description names quicktype's gap");
} else {
  fail("spec/cancel-request.schema.json's description does not name quicktype's gap (\"at least one id\")");
}

console.log(`typescript: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
