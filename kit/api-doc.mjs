#!/usr/bin/env node
// Generates docs/api.md, the API reference, from resty-ts' declarations (types/): every
// function and property of `ngx`, of the objects it hands out (shared dicts, cosockets, ...)
// and of the Lua modules (`ngx.ssl`, `resty.lrucache`, ...), each with the phases its doc
// comment names (read the same way `resty-ts check` reads them).
//
//   node kit/api-doc.mjs            writes docs/api.md
//   node kit/api-doc.mjs --check    exits 1 when docs/api.md is not up to date
import ts from "typescript";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PACKAGE_ROOT } from "./paths.mjs";
import { ALL_PHASES, createRuleFinder, docText, parseRule } from "./check/phases.mjs";

const TYPES = join(PACKAGE_ROOT, "types");
export const API_DOC = join(PACKAGE_ROOT, "docs", "api.md");

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? declarationFiles(join(dir, entry.name)) : entry.name.endsWith(".d.ts") ? [join(dir, entry.name)] : []);
}

const cell = (text) => text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();

/** "all", "all but init", or the list; with writes when they differ. */
function phasesText(rule) {
  if (!rule) return "not stated";
  const describe = (set) => {
    if (set.size === ALL_PHASES.length) return "all";
    const missing = ALL_PHASES.filter((phase) => !set.has(phase));
    if (missing.length <= 3 && set.size > 6) return `all but ${missing.join(", ")}`;
    return ALL_PHASES.filter((phase) => set.has(phase)).join(", ");
  };
  const read = describe(rule.read);
  const write = describe(rule.write);
  return read === write ? read : `${read}; assign: ${write}`;
}

/** The doc summary without the phases sentence. */
function summary(node) {
  return docText(node).replace(/\s*(Phases?:|Allowed in|Writable in)[^]*$/, "").trim();
}

/** Generates the markdown text. */
export function generate() {
  return generateReport().text;
}

/**
 * The markdown text, and the members whose own doc comment names no phases (`unstated`:
 * "ngx.foo (types/ngx.d.ts:12)"), which should be none.
 */
export function generateReport() {
  const unstated = [];
  const stated = () => ({ read: new Set(), write: new Set() });
  const files = declarationFiles(TYPES);
  const program = ts.createProgram(files, { noEmit: true, types: ["lua-types/jit", "@typescript-to-lua/language-extensions"], typeRoots: [join(PACKAGE_ROOT, "node_modules")], skipLibCheck: true, lib: ["lib.esnext.d.ts"] });
  const checker = program.getTypeChecker();
  const ruleOf = createRuleFinder(checker);
  const ours = (node) => node.getSourceFile().fileName.startsWith(TYPES);
  const documented = new Set();
  const sections = [];

  /** Rows for the members of a type; nested API tables (ngx.req) become their own sections. */
  function section(title, intro, type, separator, nested) {
    const rows = [];
    const constants = [];
    for (const symbol of type.getProperties().sort((a, b) => a.name.localeCompare(b.name))) {
      const declaration = symbol.declarations?.find(ours);
      if (!declaration) continue;
      const memberType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      const name = `${title}${separator}${symbol.name}`;
      const typeSymbol = memberType.getSymbol();
      const typeDeclaration = typeSymbol?.declarations?.find(ours);
      if (typeDeclaration && ts.isInterfaceDeclaration(typeDeclaration) && memberType.getCallSignatures().length === 0 && memberType.getProperties().length > 0 && nested) {
        nested.push([name, typeDeclaration, memberType]);
        rows.push(`| \`${name}\` | see [${name}](#${anchor(name)}) | | ${cell(summary(declaration))} |`);
        continue;
      }
      if (memberType.isNumberLiteral() || memberType.isStringLiteral()) {
        constants.push(`\`${symbol.name}\` = ${checker.typeToString(memberType)}`);
        continue;
      }
      const signatures = memberType.getCallSignatures();
      const shape = signatures.length > 0
        ? signatures.map((s) => `${symbol.name}${checker.signatureToString(s)}`).join("<br>")
        : `${symbol.name}: ${checker.typeToString(memberType, undefined, ts.TypeFormatFlags.NoTruncation)}`;
      if (!parseRule(docText(declaration), stated)) {
        const source = declaration.getSourceFile();
        unstated.push(`${name} (${relative(PACKAGE_ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(declaration.getStart()).line + 1})`);
      }
      rows.push(`| \`${name}\` | ${cell(phasesText(ruleOf(declaration)))} | \`${cell(shape)}\` | ${cell(summary(declaration))} |`);
    }
    if (rows.length === 0 && constants.length === 0) return;
    const parts = [`### ${title}`, "", ...(intro ? [intro, ""] : [])];
    if (rows.length > 0) parts.push("| Name | Phases | Signature | What it does |", "| --- | --- | --- | --- |", ...rows, "");
    if (constants.length > 0) parts.push(`Constants (readable in every phase): ${constants.join(", ")}.`, "");
    sections.push(parts.join("\n"));
  }

  // The ngx table and the API tables under it.
  const ngxSymbol = checker.getSymbolsInScope(program.getSourceFile(join(TYPES, "ngx.d.ts")), ts.SymbolFlags.Variable).find((s) => s.name === "ngx");
  const queue = [["ngx", undefined, checker.getTypeOfSymbolAtLocation(ngxSymbol, ngxSymbol.valueDeclaration)]];
  while (queue.length > 0) {
    const [title, declaration, type] = queue.shift();
    if (declaration) documented.add(declaration);
    const nested = [];
    section(title, declaration ? summary(declaration) : "The OpenResty API table, a global in every handler.", type, ".", nested);
    queue.push(...nested);
  }
  documented.add("Ngx");

  // Objects the API hands out: methods are called with a colon (`dict:get(key)`) unless @noSelf.
  const objects = [];
  for (const file of program.getSourceFiles().filter((f) => f.fileName.startsWith(TYPES))) {
    file.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || ["Ngx", "Plugin", "RequestContext", "SharedDictSchemas"].includes(node.name.text)) return;
      if ([...documented].some((d) => typeof d !== "string" && d.name?.text === node.name.text)) return;
      if (!node.members.some((m) => ts.isMethodSignature(m))) return;
      objects.push(node);
    });
  }
  const seenObjects = new Set();
  const objectSections = [];
  for (const node of objects) {
    if (seenObjects.has(node.name.text)) continue;
    seenObjects.add(node.name.text);
    const before = sections.length;
    const noSelf = ts.getJSDocTags(node).some((tag) => tag.tagName.text === "noSelf");
    section(node.name.text, summary(node), checker.getTypeAtLocation(node.name), noSelf ? "." : ":");
    objectSections.push(...sections.splice(before));
  }

  // Lua modules, by require name.
  const moduleSections = [];
  const modules = new Map();
  for (const file of program.getSourceFiles().filter((f) => f.fileName.startsWith(TYPES))) {
    file.forEachChild((node) => {
      if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) && !modules.has(node.name.text)) modules.set(node.name.text, node);
    });
  }
  for (const [name, node] of [...modules].sort(([a], [b]) => a.localeCompare(b))) {
    const symbol = checker.getSymbolAtLocation(node.name);
    if (!symbol) continue;
    const exports = checker.getExportsOfModule(symbol).filter((s) => s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable));
    const before = sections.length;
    const fake = { getProperties: () => exports };
    section(name, `\`import * as x from "${name}"\` (Lua: \`require("${name}")\`). ${summary(node)}`.trim(), fake, ".");
    moduleSections.push(...sections.splice(before));
  }

  const text = [
    "# API reference",
    "",
    "<!-- Generated by `node kit/api-doc.mjs` from types/*.d.ts; do not edit by hand. -->",
    "",
    "The OpenResty Lua API as resty-ts declares it (lua-nginx-module 0.10.23, lua-resty-core 0.1.25),",
    "with the phases each member may be used in, by `ngx.get_phase()` name. `resty-ts check` reports",
    "a use outside these phases. Every member's doc comment names its phases (test/kit/api-doc.test.ts).",
    "",
    `Phase names: ${ALL_PHASES.map((p) => `\`${p}\``).join(", ")}.`,
    "",
    "## ngx",
    "",
    ...sections,
    "## Objects",
    "",
    "Values the API returns. Methods of interfaces without `@noSelf` are called with a colon in Lua (`dict:get(key)`).",
    "",
    ...objectSections,
    "## Modules",
    "",
    ...moduleSections,
  ].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
  return { text, unstated };
}

function anchor(title) {
  return title.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  if (process.argv.includes("--check")) {
    const current = existsSync(API_DOC) ? readFileSync(API_DOC, "utf8") : "";
    if (current !== text) {
      console.error(`${relative(process.cwd(), API_DOC)} is out of date: run node kit/api-doc.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(API_DOC, text);
    console.log(`wrote ${relative(process.cwd(), API_DOC)}`);
  }
}
