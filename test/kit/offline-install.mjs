#!/usr/bin/env node
// Stands in for the tutorial's `npm install --save-dev resty-ts <packages...>` on a machine
// without network whose npm cache holds only what `npm ci` of this repository fetched (a fresh
// CI machine): npm can resolve a package name or a peer dependency only with a full packument,
// which `npm ci` never caches. So this writes what that command would write, pinned to this
// repository's package-lock.json: the packages in package.json's devDependencies (resty-ts as
// the packed tarball) and a package-lock.json with them and everything they need; then
// `npm install` reifies it from the cache without resolving anything.
//
//   node offline-install.mjs <repository root> <resty-ts tarball> <package>[@<version>]...   (in the project)
// A version the command names must be the one this repository's lock file has.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const [root, tarball, ...specs] = process.argv.slice(2);
const names = [];
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const ours = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const project = JSON.parse(readFileSync("package.json", "utf8"));

/** The lock location a dependency of the package at `from` resolves to, as node does. */
function locate(from, name) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (lock.packages[path]) return path;
    if (!dir) return undefined;
  }
}

const packages = {};
const devDependencies = { ...project.devDependencies };
const queue = [];
for (const spec of specs) {
  const [, name, version] = /^(@?[^@]+)(?:@(.+))?$/.exec(spec) ?? [];
  names.push(name);
  if (name === "resty-ts") continue;
  const path = locate("", name);
  if (!path) throw new Error(`${name} is not in ${root}/package-lock.json: the tutorial installs a package this repository does not`);
  const locked = lock.packages[path].version;
  if (version !== undefined && version !== locked) throw new Error(`the tutorial installs ${spec}, this repository's package-lock.json has ${name}@${locked}`);
  devDependencies[name] = version ?? `^${locked}`;
  queue.push(path);
}
// resty-ts' peer dependencies, which npm installs with it.
for (const name of Object.keys(ours.peerDependencies ?? {})) queue.push(locate("", name));
while (queue.length > 0) {
  const path = queue.shift();
  if (!path || packages[path]) continue;
  const entry = lock.packages[path];
  packages[path] = { ...entry, dev: true };
  for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
    for (const name of Object.keys(entry[field] ?? {})) queue.push(locate(path, name));
  }
}
if (names.includes("resty-ts")) {
  const spec = `file:${relative(process.cwd(), tarball)}`;
  devDependencies["resty-ts"] = spec;
  packages["node_modules/resty-ts"] = {
    version: ours.version,
    resolved: spec,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    dev: true,
    license: ours.license,
    bin: ours.bin,
    peerDependencies: ours.peerDependencies,
  };
}
project.devDependencies = Object.fromEntries(Object.entries(devDependencies).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync("package.json", `${JSON.stringify(project, null, 2)}\n`);
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync("package-lock.json", `${JSON.stringify({
  name: project.name,
  version: project.version,
  lockfileVersion: 3,
  requires: true,
  packages: { "": { name: project.name, version: project.version, license: project.license, devDependencies: project.devDependencies }, ...sorted },
}, null, 2)}\n`);
