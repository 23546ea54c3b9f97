#!/usr/bin/env node
// @ts-check
// Which per-request Lua LuaJIT compiles: runs the gateway scenario (bench/gateway.mjs) with
// plugins (comma-separated) under wrk for a few seconds with LuaJIT's `jit.v` on, then prints its trace log, each
// distinct line once with a count. Lines with `---` are abandoned traces: "inner loop in root
// trace" (a loop on the request path), "NYI: ..." (something LuaJIT cannot compile), "stitch"
// (a call it runs in the interpreter). A handler without them on its common path compiles as one
// trace from `plugins.run` (real_ip's rewrite handler does). Not a benchmark: `npm run bench`
// skips it.
//
//   node bench/traces.mjs <plugin[,plugin...]> [config JSON] [request headers JSON] [nginx JSON: {"http", "server"} directives]
//   node bench/traces.mjs real_ip '{"real_ip":{"trusted":["127.0.0.1"]}}' '{"X-Forwarded-For":"203.0.113.7"}'
//   node bench/traces.mjs json_log '{}' '{}' '{"http":"log_format j escape=none '"'"'$json_log'"'"';",
//     "server":"set $json_log \"\"; access_log logs/json.log j;"}'
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream, startGateway, BROWSER_HEADERS } from "./gateway.mjs";

const [pluginList, configText = "{}", headersText = "{}", nginxText = "{}"] = process.argv.slice(2);
if (!pluginList) {
  console.error("usage: node bench/traces.mjs <plugin[,plugin...]> [config JSON] [request headers JSON] [nginx JSON: {\"http\", \"server\"}]");
  process.exit(2);
}
/** @type {Record<string, unknown>} */
const config = JSON.parse(configText);
/** @type {Record<string, string>} */
const headers = JSON.parse(headersText);
/** @type {{ http?: string, server?: string }} */
const nginx = JSON.parse(nginxText);
const plugins = pluginList.split(",");
const dir = mkdtempSync(join(tmpdir(), "resty-ts-traces-"));
const log = join(dir, "jit.log");

/** A JSON value as a Lua literal (for the init code). */
const lua = (value) => Array.isArray(value) ? `{${value.map(lua).join(", ")}}`
  : value !== null && typeof value === "object" ? `{${Object.entries(value).map(([k, v]) => `[${JSON.stringify(k)}] = ${lua(v)}`).join(", ")}}`
  : JSON.stringify(value);

const upstream = await startUpstream();
try {
  const gateway = await startGateway({
    plugins,
    config,
    http: nginx.http,
    serverExtra: nginx.server,
    init: `plugins = require("plugins") plugins.init(${lua(plugins)}, ${lua(config)})
        require("jit.v").on(${JSON.stringify(log)})`,
  }, upstream.port);
  try {
    const args = ["-t1", "-c16", "-d3s"];
    for (const [name, value] of Object.entries({ ...BROWSER_HEADERS, ...headers })) args.push("-H", `${name}: ${value}`);
    const out = spawnSync("wrk", [...args, `http://127.0.0.1:${gateway.port}/`], { encoding: "utf8" }).stdout;
    console.log(/Requests\/sec:.*/.exec(out)?.[0] ?? out);
  } finally {
    await gateway.stop({ check: false });
  }
} finally {
  await upstream.stop({ check: false });
}
/** @type {Map<string, number>} */
const counts = new Map();
for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
for (const [line, count] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${String(count).padStart(5)}  ${line}`);
rmSync(dir, { recursive: true, force: true });
