// `resty-ts new <name>`: scaffolds plugins/<name>/ (main.ts with the phase handlers, config.ts
// with the typed, validated configuration), test/<name>.test.ts (real nginx through the
// harness) and spec/<name>_spec.lua (busted), plus the project files a fresh folder lacks.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { TEMPLATES } from "./paths.mjs";
import { syncLibrary } from "./sync.mjs";

/** A plugin name: one Lua module name segment (it becomes `plugins.<name>.main`). */
export const PLUGIN_NAME = /^[a-z][a-z0-9_]*$/;

/** Header name derived from a plugin name: `request_id` -> `Request-Id`. */
function headerName(name) {
  return name.split("_").filter(Boolean).map((word) => word[0].toUpperCase() + word.slice(1)).join("-");
}

/**
 * Scaffolds the plugin `name` in `projectDir`. Never overwrites a file. Returns the exit status.
 * @param {{ projectDir: string, name: string, log?: (line: string) => void }} options
 */
export function scaffold({ projectDir, name, log = console.log }) {
  if (!PLUGIN_NAME.test(name)) {
    console.error(`resty-ts new: "${name}" is not a plugin name: use lower-case letters, digits and _ (it becomes the Lua module plugins.${name}.main)`);
    return 2;
  }
  if (existsSync(join(projectDir, "plugins", name))) {
    console.error(`resty-ts new: plugins/${name} already exists`);
    return 1;
  }
  const fill = (text) => text.replaceAll("__NAME__", name).replaceAll("__HEADER__", headerName(name));
  /** [template, target]: written only where no file exists yet. */
  const files = [
    ["plugin/main.ts", `plugins/${name}/main.ts`],
    ["plugin/config.ts", `plugins/${name}/config.ts`],
    ["test/plugin.test.ts", `test/${name}.test.ts`],
    ["spec/plugin_spec.lua", `spec/${name}_spec.lua`],
    ["project/tstl.json", "tstl.json"],
    ["project/tsconfig.json", "tsconfig.json"],
    ["project/test-tsconfig.json", "test/tsconfig.json"],
    ["project/vitest.config.mjs", "vitest.config.mjs"],
    ["project/busted", ".busted"],
    ["project/gitignore", ".gitignore"],
  ];
  for (const [template, target] of files) {
    const path = join(projectDir, target);
    if (existsSync(path)) {
      log(`resty-ts: kept ${target}`);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, fill(readFileSync(join(TEMPLATES, template), "utf8")));
    log(`resty-ts: created ${target}`);
  }
  const scripts = addScripts(projectDir);
  if (scripts.length > 0) log(`resty-ts: added npm scripts ${scripts.join(", ")} to package.json`);
  const { written } = syncLibrary(projectDir);
  if (written.length > 0) log(`resty-ts: supplied ${written.join(", ")}`);
  log(`\nNext: npx resty-ts build && npx vitest run`);
  return 0;
}

/** The scripts a project gets; `npm init`'s placeholder test script counts as missing. */
const SCRIPTS = { build: "resty-ts build", check: "resty-ts check", test: "resty-ts build && vitest run" };
const NPM_PLACEHOLDER = /^echo "Error: no test specified" && exit 1$/;

/** Adds the missing SCRIPTS to the project's package.json, if it has one; returns their names. */
function addScripts(projectDir) {
  const file = join(projectDir, "package.json");
  if (!existsSync(file)) return [];
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  pkg.scripts ??= {};
  const added = Object.entries(SCRIPTS).filter(([name]) => pkg.scripts[name] === undefined || NPM_PLACEHOLDER.test(pkg.scripts[name]));
  if (added.length === 0) return [];
  for (const [name, command] of added) pkg.scripts[name] = command;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  return added.map(([name]) => name);
}
