// Compiles TypeScript snippets to Lua with TSTL's API, resty-ts' options (tstl.json) and the
// OpenResty declarations (types/), as one virtual project: one TypeScript program, so fast.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import ts from "typescript";
import * as tstl from "typescript-to-lua";
import { readDeclarations, ROOT } from "./declarations";

const SNIPPETS = resolve(ROOT, "test/types/snippets");

export interface Compiled {
  /** Lua by snippet name. */
  lua: Record<string, string>;
  /** Diagnostics by snippet name ("line N: message"); every snippet has an entry. */
  diagnostics: Record<string, string[]>;
}

let setup: { files: Record<string, string>; options: tstl.CompilerOptions } | undefined;

function load() {
  const files: Record<string, string> = {};
  for (const file of readDeclarations().files) {
    // TypeScript's own lib files are loaded by TSTL's virtual host itself.
    if (!file.includes("/typescript/lib/")) files[file] = readFileSync(file, "utf8");
  }
  const config = tstl.parseConfigFileWithSystem(resolve(ROOT, "tstl.json"));
  // The declaration files are given as files, and are checked by the conformance test.
  return { files, options: { ...config.options, types: [], skipLibCheck: true } };
}

/** Compiles the snippets (file text by name). */
export function compile(snippets: Record<string, string>): Compiled {
  setup ??= load();
  const files: Record<string, string> = { ...setup.files };
  for (const [name, code] of Object.entries(snippets)) files[resolve(SNIPPETS, `${name}.ts`)] = code;
  const result = tstl.transpileVirtualProject(files, setup.options);
  const nameOf = (fileName: string) => fileName.startsWith(SNIPPETS) ? fileName.slice(SNIPPETS.length + 1, -3) : fileName;
  const compiled: Compiled = { lua: {}, diagnostics: {} };
  for (const name of Object.keys(snippets)) compiled.diagnostics[name] = [];
  for (const diagnostic of result.diagnostics) {
    const name = diagnostic.file ? nameOf(diagnostic.file.fileName) : "(global)";
    const line = diagnostic.file && diagnostic.start !== undefined
      ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
    (compiled.diagnostics[name] ??= []).push(`line ${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`);
  }
  for (const file of result.transpiledFiles) {
    const source = file.sourceFiles.find((f) => f.fileName.startsWith(SNIPPETS));
    if (source && file.lua) compiled.lua[nameOf(source.fileName)] = file.lua;
  }
  return compiled;
}
