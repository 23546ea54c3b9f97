// Keeps a user's project supplied with resty-ts' TypeScript library and dispatcher: the
// dispatcher `plugins.ts` and the `plugins/lib/*.ts` modules the project's plugins import
// (schema, config, client, ...) are copied from the installed package, so the user's plugins
// import them relatively ("../lib/schema") and TSTL compiles them into the same `plugins.*`
// module tree. Copies carry a first-line marker;
// a file without it belongs to the user and is never overwritten.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { PACKAGE_ROOT, VERSION } from "./paths.mjs";

/** First line of every copied file. */
export const MARKER = "// Copied from the resty-ts package by `resty-ts build`; edits here are overwritten.";

/** Relative imports in a TypeScript text ("../lib/schema"). */
const IMPORT = /(?:from|import)\s+["'](\.{1,2}\/[^"']+)["']/g;

/** Every .ts file under `dir`, as paths relative to `base`. */
function tsFiles(dir, base) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path, base);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [relative(base, path)] : [];
  });
}

/** Project-relative paths of the package modules a file imports (`plugins/lib/schema.ts`). */
function importedLibrary(file, text) {
  const found = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = `${posix.normalize(posix.join(posix.dirname(file), match[1]))}.ts`;
    if (target.startsWith("plugins/lib/") && existsSync(join(PACKAGE_ROOT, target))) found.push(target);
  }
  return found;
}

/**
 * Relative paths of the files resty-ts supplies to a project: the dispatcher, and the library
 * modules the project's plugins import, with everything those import in turn.
 * @param {string} projectDir
 */
export function suppliedFiles(projectDir) {
  const wanted = new Set(["plugins.ts"]);
  for (const file of tsFiles(join(projectDir, "plugins"), projectDir).map((f) => f.split(sep).join("/"))) {
    const text = readFileSync(join(projectDir, file), "utf8");
    if (text.startsWith(MARKER)) continue; // a copy: its imports are followed from the package below
    for (const target of importedLibrary(file, text)) wanted.add(target);
  }
  const queue = [...wanted];
  while (queue.length > 0) {
    const file = queue.pop();
    for (const target of importedLibrary(file, readFileSync(join(PACKAGE_ROOT, file), "utf8"))) {
      if (!wanted.has(target)) {
        wanted.add(target);
        queue.push(target);
      }
    }
  }
  return [...wanted].sort();
}

/**
 * Copies the supplied files into `projectDir` where they are missing or are older copies.
 * Returns { written, kept } (kept: user files of the same name left alone).
 * @param {string} projectDir
 */
export function syncLibrary(projectDir) {
  const written = [];
  const kept = [];
  for (const file of suppliedFiles(projectDir)) {
    const content = `${MARKER} (resty-ts ${VERSION})\n${readFileSync(join(PACKAGE_ROOT, file), "utf8")}`;
    const target = join(projectDir, file);
    if (existsSync(target)) {
      const current = readFileSync(target, "utf8");
      if (current === content) continue;
      if (!current.startsWith(MARKER)) {
        kept.push(file);
        continue;
      }
    }
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, content);
    written.push(file);
  }
  return { written, kept };
}
