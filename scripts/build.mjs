#!/usr/bin/env node
// Builds the Lua: `build/lua/plugins.lua` (the dispatcher) and `build/lua/plugins/**`.
// Fails on any TypeScript or TSTL diagnostic (tstl exits 2 but still writes files), and checks
// the output's guarantees: no module outside `plugins` / `plugins.*`, no `@NoResolution:`
// marker, no global variable write (no GSET in LuaJIT bytecode).
//
//   node scripts/build.mjs                    all plugins
//   node scripts/build.mjs --plugin real_ip   the dispatcher, plugins/lib and the named plugins
//   node scripts/build.mjs --project DIR      a user project (its tstl.json), see bin/resty-ts
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Every .lua file under dir. */
function luaFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...luaFiles(path));
    else if (entry.endsWith(".lua")) out.push(path);
  }
  return out;
}

/**
 * Checks built Lua under `luaDir`; returns a list of problems (empty when all is well).
 * @param {string} luaDir
 */
export function checkOutput(luaDir) {
  const problems = [];
  for (const file of luaFiles(luaDir)) {
    const name = relative(luaDir, file);
    if (name !== "plugins.lua" && !name.startsWith("plugins/")) {
      problems.push(`${name}: module outside plugins/ (would collide with other Lua in the same nginx)`);
    }
    const text = readFileSync(file, "utf8");
    if (text.includes("@NoResolution:")) problems.push(`${name}: contains an @NoResolution: marker OpenResty cannot load`);
    if (/require\("lualib_bundle"\)/.test(text)) problems.push(`${name}: requires the top-level module lualib_bundle`);
    const listing = spawnSync("luajit", ["-bl", file], { encoding: "utf8" });
    if (listing.status !== 0) {
      problems.push(`${name}: LuaJIT cannot compile it: ${listing.stderr.trim()}`);
      continue;
    }
    for (const line of listing.stdout.split("\n")) {
      const match = /\bGSET\b.*"([^"]+)"/.exec(line);
      if (match) problems.push(`${name}: writes the global variable "${match[1]}"`);
    }
  }
  return problems;
}

/**
 * Runs tstl on a project and checks the output. Returns the exit status (0 when all is well).
 * @param {{ projectDir: string, config?: string, plugins?: string[], outDir?: string }} options
 */
export function build({ projectDir, config = "tstl.json", plugins = [], outDir = "build/lua" }) {
  let configFile = join(projectDir, config);
  let temporary;
  if (plugins.length > 0) {
    const base = JSON.parse(readFileSync(configFile, "utf8"));
    const include = ["plugins.ts", "plugins/lib/**/*.ts", "types/**/*.d.ts", ...plugins.map((p) => `plugins/${p}/**/*.ts`)];
    temporary = join(projectDir, `.tstl-partial-${process.pid}.json`);
    writeFileSync(temporary, JSON.stringify({ extends: `./${config}`, include, exclude: base.exclude ?? [] }));
    configFile = temporary;
  }
  // A full build starts clean so no stale module survives; a partial one only overwrites.
  if (plugins.length === 0) rmSync(join(projectDir, outDir), { recursive: true, force: true });
  const tstl = resolve(here, "..", "node_modules", ".bin", "tstl");
  const result = spawnSync(existsSync(tstl) ? tstl : "tstl", ["-p", configFile], { cwd: projectDir, stdio: "inherit" });
  if (temporary) rmSync(temporary, { force: true });
  if (result.status !== 0) {
    console.error(`build: tstl reported diagnostics (exit ${result.status}); the build fails.`);
    return 1;
  }
  const problems = checkOutput(join(projectDir, outDir));
  if (problems.length > 0) {
    console.error(`build: the output breaks resty-ts' guarantees:\n  ${problems.join("\n  ")}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const plugins = [];
  let projectDir = resolve(here, "..");
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--plugin") plugins.push(args[++i]);
    else if (args[i] === "--project") projectDir = resolve(args[++i]);
    else {
      console.error(`build: unknown argument ${args[i]}`);
      process.exit(2);
    }
  }
  process.exit(build({ projectDir, plugins }));
}
