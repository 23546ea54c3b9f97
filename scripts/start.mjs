#!/usr/bin/env node
// `npm start`: builds, then runs a local gateway (nginx on loopback) with every plugin that has
// a demo in demo/*.mjs, and prints its URLs. Ctrl-C stops it and leaves no process behind.
//
// A demo module's default export (all fields optional but `plugin`):
//   plugin:    the plugin name; plugins load in the order of `order` (then name)
//   order:     number
//   config:    the plugin's config section (may be a function of the context)
//   setup:     async (ctx) => ({ stop?: async () => void, config?: object })  runs before nginx
//   http, serverExtra, locations, servers: nginx.conf parts (strings or functions of ConfContext)
//   ports:     names of extra ports the demo needs (fixed numbers in `fixedPorts`)
//   fixedPorts: { name: number }
//   describe:  (ctx) => string[]  lines printed once the gateway is up
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startNginx } from "../harness/nginx.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const built = spawnSync("node", [join(root, "scripts/build.mjs")], { stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);

const demos = [];
for (const file of readdirSync(join(root, "demo")).filter((f) => f.endsWith(".mjs")).sort()) {
  demos.push((await import(pathToFileURL(join(root, "demo", file)).href)).default);
}
demos.sort((a, b) => (a.order ?? 50) - (b.order ?? 50) || a.plugin.localeCompare(b.plugin));

const port = Number(process.env.PORT ?? 8080);
const ctx = { port, ports: {}, prefix: "", buildLua: "" };
const stops = [];
const config = {};
const portNames = [];
const fixedPorts = {};
for (const demo of demos) {
  for (const name of demo.ports ?? []) portNames.push(name);
  Object.assign(fixedPorts, demo.fixedPorts ?? {});
}
for (const name of portNames) ctx.ports[name] = fixedPorts[name];

let nginx;
async function shutdown(code) {
  if (nginx) await nginx.stop({ check: false });
  for (const stop of stops.reverse()) await stop();
  process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

try {
  for (const demo of demos) {
    const result = demo.setup ? await demo.setup(ctx) : undefined;
    if (result?.stop) stops.push(result.stop);
    const section = result?.config ?? (typeof demo.config === "function" ? demo.config(ctx) : demo.config);
    if (section !== undefined) config[demo.plugin] = section;
  }
  const join = (key) => (c) => demos.map((d) => (typeof d[key] === "function" ? d[key](c) : d[key] ?? "")).join("\n");
  nginx = await startNginx({
    port,
    ports: portNames,
    fixedPorts,
    workers: 2,
    plugins: demos.map((d) => d.plugin),
    config,
    // Extra server blocks of demos (a TLS server, say) sit in the http block beside the default one.
    http: (c) => `${join("http")(c)}\n${join("servers")(c)}`,
    serverExtra: join("serverExtra"),
    locations: (c) => join("locations")(c) + '\n        location / { content_by_lua_block { ngx.say("hello from resty-ts") } }',
    main: join("main"),
  });
  console.log(`\nresty-ts gateway running (nginx prefix ${nginx.prefix})`);
  console.log(`  http://127.0.0.1:${nginx.port}/`);
  for (const demo of demos) for (const line of demo.describe?.({ ...ctx, port: nginx.port, ports: nginx.ports, prefix: nginx.prefix }) ?? []) console.log(`  ${line}`);
  console.log("\nCtrl-C stops it.");
} catch (error) {
  console.error(`npm start: ${error instanceof Error ? error.message : error}`);
  await shutdown(1);
}
