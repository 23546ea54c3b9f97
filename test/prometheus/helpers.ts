// Helpers for the prometheus tests: parsing the exposition text, promtool, polling.
import { spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
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
