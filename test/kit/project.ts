// A throw-away user project for the kit's tests: a temporary folder whose node_modules links
// resty-ts to this repository and the compiler packages to this repository's node_modules.
import { mkdtempSync, mkdirSync, symlinkSync, chmodSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LINKED = ["typescript", "typescript-to-lua", "lua-types", "@typescript-to-lua/language-extensions", "vitest", "@types/node"];

/** Creates the project; `remove()` deletes it. */
export function tempProject() {
  const dir = mkdtempSync(join(tmpdir(), "resty-ts-kit-"));
  chmodSync(dir, 0o755); // nginx workers (nobody) read build/lua from here
  mkdirSync(join(dir, "node_modules", "@typescript-to-lua"), { recursive: true });
  mkdirSync(join(dir, "node_modules", "@types"), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules", "resty-ts"));
  for (const name of LINKED) symlinkSync(join(ROOT, "node_modules", name), join(dir, "node_modules", name));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "kit-test", private: true }));
  return {
    dir,
    /** Runs the resty-ts CLI in the project. */
    cli(...args: string[]) {
      const result = spawnSync(process.execPath, [join(ROOT, "bin", "resty-ts.mjs"), ...args], { cwd: dir, encoding: "utf8" });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    },
    read: (path: string) => readFileSync(join(dir, path), "utf8"),
    write(path: string, text: string) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
