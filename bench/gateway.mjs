// @ts-check
// The gateway scenario every resty-ts benchmark reuses: wrk (1 thread, 16 connections, 8 typical
// browser request headers) against nginx (1 worker) proxying over keepalive to a local upstream
// nginx that returns 100 bytes. Both nginx pinned to one core, wrk to the other. Variants are
// alternated round by round (a fresh nginx each time: trace formation differs between starts),
// and the medians and ratios against the baseline are printed. Only ratios from one run count.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startNginx, PHASE_HOOKS } from "../harness/nginx.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The 8 request headers a typical browser sends besides Host. */
export const BROWSER_HEADERS = {
  "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "Accept-Language": "en-US,en;q=0.9,de;q=0.8",
  "Accept-Encoding": "gzip, deflate, br",
  Referer: "https://www.example.com/products/list?page=2",
  "Cache-Control": "max-age=0",
  "Upgrade-Insecure-Requests": "1",
  "Sec-Fetch-Mode": "navigate",
};

/**
 * @typedef {object} GatewayVariant
 * @property {string[]} [plugins] plugins to load
 * @property {Record<string, unknown>} [config] their configuration
 * @property {string} [hooks] phase hook directives in the server (default: every phase calls plugins.run())
 * @property {string} [http] extra http-block directives
 * @property {string} [serverExtra] extra server directives
 * @property {string} [locationExtra] extra directives inside `location /`
 * @property {string} [init] init_by_lua code replacing `plugins.init(...)`
 * @property {Record<string, string>} [files] files written into the prefix
 * @property {string[]} [luaPath] extra lua_package_path entries
 * @property {string} [listen] extra `listen` parameters (e.g. "ssl")
 * @property {string} [scheme] "http" (default) or "https" for wrk
 * @property {string} [path] request path (default /)
 * @property {Record<string, string>} [headers] extra request headers for wrk
 * @property {string} [main] main-context directives
 */

/** The 100-byte upstream body. */
const BODY = "x".repeat(99) + "\n";

function cores() {
  return cpus().length;
}

/** Runs wrk once; returns requests per second. */
function wrk(url, seconds, headers) {
  const args = ["-t1", "-c16", `-d${seconds}s`, "--latency"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  args.push(url);
  const command = cores() > 1 ? ["taskset", "-c", "1", "wrk", ...args] : ["wrk", ...args];
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr || result.stdout}`);
  const match = /Requests\/sec:\s+([\d.]+)/.exec(result.stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(result.stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} non-2xx/3xx responses:\n${result.stdout}`);
  if (!match) throw new Error(`wrk output not understood:\n${result.stdout}`);
  return Number(match[1]);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Starts the upstream nginx (100-byte answers). */
export async function startUpstream() {
  return startNginx({
    spawnPrefix: cores() > 1 ? ["taskset", "-c", "0"] : [],
    logLevel: "error",
    servers: ({ port }) => `
    server {
        listen 127.0.0.1:${port} reuseport;
        keepalive_requests 100000;
        location / { default_type text/plain; return 200 "${BODY.replace("\n", "\\n")}"; }
    }`,
  });
}

/**
 * Starts a gateway nginx for one variant in front of `upstreamPort`.
 * @param {GatewayVariant} variant
 * @param {number} upstreamPort
 */
export async function startGateway(variant, upstreamPort) {
  return startNginx({
    spawnPrefix: cores() > 1 ? ["taskset", "-c", "0"] : [],
    logLevel: "error",
    plugins: variant.plugins ?? [],
    config: variant.config,
    init: variant.init,
    files: variant.files,
    luaPath: variant.luaPath,
    main: variant.main,
    strictGlobals: false,
    http: `
    upstream backend {
        server 127.0.0.1:${upstreamPort};
        keepalive 32;
    }
    ${variant.http ?? ""}`,
    servers: ({ port }) => `
    server {
        listen 127.0.0.1:${port} ${variant.listen ?? ""};
        keepalive_requests 100000;
        ${variant.hooks ?? PHASE_HOOKS}
        ${variant.serverExtra ?? ""}
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            ${variant.locationExtra ?? ""}
        }
    }`,
  });
}

/**
 * Measures each variant `rounds` times, alternating, and prints medians and ratios.
 * @param {{ title: string, variants: Record<string, GatewayVariant>, baseline?: string, rounds?: number, seconds?: number, warmup?: number }} options
 * @returns {Promise<{ medians: Record<string, number>, ratios: Record<string, number>, runs: Record<string, number[]> }>}
 */
export async function compare({ title, variants, baseline, rounds = 3, seconds = 5, warmup = 1 }) {
  const names = Object.keys(variants);
  const base = baseline ?? names[0];
  /** @type {Record<string, number[]>} */
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  console.log(`\n# ${title}`);
  console.log(`wrk -t1 -c16 -d${seconds}s, ${rounds} rounds, ${cores() > 1 ? "nginx on core 0, wrk on core 1" : "one core: no pinning"}`);
  const upstream = await startUpstream();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const variant = variants[name];
        const gateway = await startGateway(variant, upstream.port);
        try {
          const url = `${variant.scheme ?? "http"}://127.0.0.1:${gateway.port}${variant.path ?? "/"}`;
          const headers = { ...BROWSER_HEADERS, ...(variant.headers ?? {}) };
          if (warmup > 0) wrk(url, warmup, headers);
          const rps = wrk(url, seconds, headers);
          runs[name].push(rps);
          console.log(`  round ${round + 1} ${name.padEnd(28)} ${rps.toFixed(0).padStart(8)} req/s`);
        } finally {
          await gateway.stop({ check: false });
        }
      }
    }
  } finally {
    await upstream.stop({ check: false });
  }
  /** @type {Record<string, number>} */
  const medians = {};
  /** @type {Record<string, number>} */
  const ratios = {};
  for (const name of names) medians[name] = median(runs[name]);
  console.log(`\n  ${"variant".padEnd(28)} ${"median req/s".padStart(12)}  ratio to ${base}`);
  for (const name of names) {
    ratios[name] = medians[name] / medians[base];
    console.log(`  ${name.padEnd(28)} ${medians[name].toFixed(0).padStart(12)}  ${ratios[name].toFixed(3)}`);
  }
  const resultsDir = join(here, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${title.replace(/[^\w.-]+/g, "_")}.json`), JSON.stringify({ title, rounds, seconds, runs, medians, ratios }, null, 2));
  return { medians, ratios, runs };
}
