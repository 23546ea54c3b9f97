// Helpers for the prometheus tests: parsing the exposition text, promtool, polling, a real
// Prometheus server, the README section.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { resolve } from "node:path";
import { expect } from "vitest";
import type { Nginx } from "../../harness/nginx.mjs";

/** Samples by series name (`name{labels}` exactly as written) -> value. */
export function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    const value = line.slice(space + 1);
    result.set(line.slice(0, space), value === "+Inf" ? Infinity : value === "NaN" ? NaN : Number(value));
  }
  return result;
}

/** Sum of the samples of one metric name (any labels). */
export function total(text: string, name: string): number {
  let sum = 0;
  for (const [series, value] of samples(text)) {
    if (series === name || series.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}

/** The one sample with exactly this series name, or undefined. */
export function sample(text: string, series: string): number | undefined {
  return samples(text).get(series);
}

/** ingress-nginx's counter name (any prefix) has no `_total`; promtool's linter says so and exits 3. */
const KNOWN_LINT = /^[a-zA-Z_:][a-zA-Z0-9_:]*requests counter metrics should have "_total" suffix$/;

/** Runs `promtool check metrics`; returns the problems other than the known compatibility lint. */
export function promtoolProblems(text: string): string[] {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim()).filter(Boolean);
  if (result.status === 0) return [];
  if (result.status !== 3) return [`promtool exited ${result.status}`, ...lines];
  return lines.filter((line) => !KNOWN_LINT.test(line));
}

/** Scrapes the metrics path; throws unless 200. */
export async function scrape(nginx: Nginx, path = "/metrics"): Promise<string> {
  const response = await nginx.fetch(path);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`scrape ${path}: ${response.status} ${body}`);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return body;
}

/** Polls `probe` until `done(result)` or the deadline; returns the last result. */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await probe();
  }
  return value;
}

/** Sends `count` GET requests, `parallel` at a time; returns the worker pids that answered. */
export async function load(nginx: Nginx, count: number, parallel = 16, path = (i: number) => `/r${i % 7}`, init?: (i: number) => RequestInit): Promise<Set<string>> {
  const pids = new Set<string>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      const response = await nginx.fetch(path(i), init?.(i));
      await response.arrayBuffer();
      const pid = response.headers.get("x-worker");
      if (pid) pids.add(pid);
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return pids;
}

/** A location answering "ok" with the worker pid in X-Worker. */
export const WORKER_LOCATION = `location / { content_by_lua_block { ngx.header["X-Worker"] = ngx.worker.pid(); ngx.say("ok") } }`;

/** A GET with any Host header (fetch() does not let a request set Host); resolves to the status. */
export function getWithHost(nginx: Nginx, host: string, path = "/"): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port: nginx.port, path, headers: { Host: host }, agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end();
  });
}

/** A real Prometheus server (Debian's `prometheus`) started with these arguments; `stop()` ends it. */
export interface PrometheusServer {
  /** Its stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `prometheus` with `args` (config file, storage path, listen address, ...). */
export function startPrometheus(args: string[]): PrometheusServer {
  const child: ChildProcess = spawn("prometheus", [...args, "--log.level=warn"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk) => { log += chunk; });
  return {
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** The first value of an instant query against Prometheus' HTTP API, or undefined. */
export async function query(port: number, expression: string): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const body = (await response.json()) as { status: string; data: { result: { value: [number, string] }[] } };
    const result = body.data?.result?.[0];
    return result ? Number(result.value[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The README's prometheus section (between its markers). */
export function readmeSection(): string {
  const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8");
  return readme.slice(readme.indexOf("<!-- section:plugin:prometheus -->"), readme.indexOf("<!-- /section:plugin:prometheus -->"));
}
