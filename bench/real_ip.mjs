#!/usr/bin/env node
// @ts-check
// real_ip in the gateway scenario (bench/gateway.mjs): the plugin against nginx's own realip
// module with the same settings (goal: >= 0.95x). wrk sends X-Forwarded-For through a trusted
// peer (127.0.0.1), so every request walks the header. Every variant has the same phase hooks.
// The C variants send the upstream the same bytes the plugin does (X-Real-IP, X-Forwarded-For as
// the trusted chain plus the peer, X-Original-Forwarded-For, as ingress-nginx sets them): the
// upstream nginx shares the gateway's core, so a smaller upstream request would flatter C.
//
// Throughput on this shared machine swings by 10-30% between rounds, so two steadier figures
// follow: the worker's CPU time per request (from /proc, whole request) and the CPU time spent
// inside the rewrite hook (CLOCK_THREAD_CPUTIME_ID around it, the clock's own cost subtracted).
//
//   node bench/real_ip.mjs [seconds] [rounds]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { compare, startUpstream, startGateway, BROWSER_HEADERS } from "./gateway.mjs";
import { PHASE_HOOKS } from "../harness/nginx.mjs";

const TRUSTED = ["127.0.0.1", "10.0.0.0/8"];
const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);

const realipDirectives = (header) =>
  `${TRUSTED.map((entry) => `set_real_ip_from ${entry};`).join(" ")} real_ip_header ${header}; real_ip_recursive on;`;

/**
 * Proxy headers for the C variants: what the plugin sends, for the given X-Forwarded-For value
 * (`$http_x_forwarded_for` when real_ip reads it: the chain was all trusted; `$remote_addr` when
 * it reads another header). An empty X-Original-Forwarded-For is not sent, as with the plugin.
 */
const cProxyHeaders = (forwardedFor) => `proxy_set_header X-Real-IP $remote_addr; ` +
  `proxy_set_header X-Forwarded-For "${forwardedFor}, $realip_remote_addr"; proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;`;

const xff = { "X-Forwarded-For": "203.0.113.7, 10.0.0.2" };
const xRealIp = { "X-Real-IP": "203.0.113.7" };

const cRealip = { serverExtra: realipDirectives("X-Forwarded-For"), locationExtra: cProxyHeaders("$http_x_forwarded_for"), headers: xff };
const plugin = { plugins: ["real_ip"], config: { real_ip: { trusted: TRUSTED } }, headers: xff };

await compare({
  title: "real_ip X-Forwarded-For vs nginx realip",
  baseline: "nginx realip",
  rounds,
  seconds,
  variants: {
    "nginx realip": cRealip,
    "real_ip plugin": plugin,
    // What to deploy when access_log / limit_req / allow must see the client: the README recipe.
    "real_ip + $remote_addr recipe": {
      ...plugin,
      locationExtra: `${realipDirectives("X-Real-IP").replace("real_ip_recursive on", "real_ip_recursive off")}`,
    },
  },
});

await compare({
  title: "real_ip X-Real-IP vs nginx realip",
  baseline: "nginx realip",
  rounds,
  seconds,
  variants: {
    "nginx realip": { serverExtra: realipDirectives("X-Real-IP"), locationExtra: cProxyHeaders("$remote_addr"), headers: xRealIp },
    "real_ip plugin": { plugins: ["real_ip"], config: { real_ip: { trusted: TRUSTED, header: "X-Real-IP" } }, headers: xRealIp },
  },
});

// CPU time: the worker's per request, and inside the rewrite hook.
const CLOCK = `local ffi = require("ffi")
        ffi.cdef("struct bench_ts { long s; long ns; }; int clock_gettime(int, struct bench_ts *);")
        local ts, C = ffi.new("struct bench_ts"), ffi.C
        BENCH = { total = 0, n = 0 }
        function BENCH.clock() C.clock_gettime(3, ts) return tonumber(ts.s) + tonumber(ts.ns) * 1e-9 end`;
const STATS = `location = /bench-stats { content_by_lua_block { ngx.say(BENCH.n > 0 and BENCH.total / BENCH.n * 1e6 or 0) } }`;
const timedRewrite = (body) => PHASE_HOOKS.replace(/rewrite_by_lua_block \{[^}]*\}/,
  `rewrite_by_lua_block { local t0 = BENCH.clock() ${body} BENCH.total = BENCH.total + BENCH.clock() - t0 BENCH.n = BENCH.n + 1 }`);
const initPlugin = `${CLOCK}\n        plugins = require("plugins") plugins.init({ "real_ip" }, { real_ip = { trusted = { "127.0.0.1", "10.0.0.0/8" } } })`;
const cpuVariants = {
  "no realip": { init: `${CLOCK}\n        plugins = require("plugins") plugins.init({})`, hooks: timedRewrite(`plugins.run("rewrite")`), headers: xff },
  "nginx realip": { ...cRealip, init: `${CLOCK}\n        plugins = require("plugins") plugins.init({})`, hooks: timedRewrite(`plugins.run("rewrite")`) },
  "real_ip plugin": { ...plugin, init: initPlugin, hooks: timedRewrite(`plugins.run("rewrite")`) },
};

/** utime + stime of a process, in clock ticks (1/100 s). */
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** @type {Record<string, number[]>} */
const workerUs = {};
/** @type {Record<string, number[]>} */
const rewriteUs = {};
const upstream = await startUpstream();
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, variant] of Object.entries(cpuVariants)) {
      const gateway = await startGateway({ ...variant, serverExtra: `${variant.serverExtra ?? ""}\n        ${STATS}` }, upstream.port);
      try {
        const args = ["-t1", "-c16"];
        for (const [header, value] of Object.entries({ ...BROWSER_HEADERS, ...variant.headers })) args.push("-H", `${header}: ${value}`);
        args.push(`http://127.0.0.1:${gateway.port}/`);
        spawnSync("taskset", ["-c", "1", "wrk", "-d1s", ...args]);
        const [pid] = gateway.workerPids();
        const before = cpuTicks(pid);
        const out = spawnSync("taskset", ["-c", "1", "wrk", `-d${seconds}s`, ...args], { encoding: "utf8" }).stdout;
        const ticks = cpuTicks(pid) - before;
        const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
        (workerUs[name] ??= []).push((ticks * 10000) / requests);
        (rewriteUs[name] ??= []).push(Number(await (await gateway.fetch("/bench-stats")).text()));
      } finally {
        await gateway.stop({ check: false });
      }
    }
  }
} finally {
  await upstream.stop({ check: false });
}
const med = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const clockCost = med(rewriteUs["no realip"]);
const cWorker = med(workerUs["nginx realip"]);
console.log("\n# CPU time per request (medians of rounds; worker: whole request from /proc; rewrite hook: minus the no-realip hook)");
for (const name of Object.keys(cpuVariants)) {
  const worker = med(workerUs[name]);
  console.log(`  ${name.padEnd(18)} worker ${worker.toFixed(1).padStart(5)} us [${workerUs[name].map((v) => v.toFixed(1)).join(", ")}]` +
    `  throughput-equivalent vs nginx realip ${(cWorker / worker).toFixed(3)}  rewrite hook +${(med(rewriteUs[name]) - clockCost).toFixed(2)} us`);
}
