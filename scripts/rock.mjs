#!/usr/bin/env node
// `npm run rock`: builds, then packs dist/resty-ts-<version>-1.all.rock from rockspec/ (offline).
// Install it with `luarocks install resty-ts-<version>-1.all.rock` (or `--tree <dir>`).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const run = (command, args, cwd = root) => {
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    console.error(`rock: ${command} ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
};

if (!process.argv.includes("--no-build")) run("node", ["scripts/build.mjs"]);
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const luaDir = join(root, "build", "lua");
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith(".lua")) files.push(relative(luaDir, path));
  }
};
walk(luaDir);
files.sort();
const modules = files
  .map((file) => `    ["${file.replace(/\.lua$/, "").replaceAll("/", ".")}"] = "build/lua/${file}",`)
  .join("\n");
const template = readFileSync(join(root, "rockspec", "resty-ts.rockspec.template"), "utf8");
const rockspecName = `resty-ts-${version}-1.rockspec`;
const work = mkdtempSync(join(tmpdir(), "resty-ts-rock-"));
const rockspec = join(work, rockspecName);
writeFileSync(rockspec, template.replace("{{version}}", version).replace("{{modules}}", modules));
// luarocks make packs from the current directory; the tree keeps it from touching the system's.
run("luarocks", ["--lua-version=5.1", "make", rockspec, "--pack-binary-rock", "--tree", join(work, "tree")], root);
const rock = `resty-ts-${version}-1.all.rock`;
mkdirSync(join(root, "dist"), { recursive: true });
renameSync(join(root, rock), join(root, "dist", rock));
rmSync(work, { recursive: true, force: true });
console.log(`rock: dist/${rock} (${files.length} modules)`);
