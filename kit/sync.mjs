// Keeps a user's project supplied with resty-ts' TypeScript library and dispatcher: the
// dispatcher `plugins.ts` and `plugins/lib/*.ts` (schema, config, client, ...) are copied from
// the installed package, so the user's plugins import them relatively ("../lib/schema") and
// TSTL compiles them into the same `plugins.*` module tree. Copies carry a first-line marker;
// a file without it belongs to the user and is never overwritten.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT, VERSION } from "./paths.mjs";

/** First line of every copied file. */
export const MARKER = "// Copied from the resty-ts package by `resty-ts build`; edits here are overwritten.";

/** Relative paths of the files resty-ts supplies to a project. */
export function suppliedFiles() {
  const lib = readdirSync(join(PACKAGE_ROOT, "plugins", "lib"))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts"))
    .sort();
  return ["plugins.ts", ...lib.map((name) => `plugins/lib/${name}`)];
}

/**
 * Copies the supplied files into `projectDir` where they are missing or are older copies.
 * Returns { written, kept } (kept: user files of the same name left alone).
 * @param {string} projectDir
 */
export function syncLibrary(projectDir) {
  const written = [];
  const kept = [];
  for (const file of suppliedFiles()) {
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
