// The README's prometheus section works as written: its nginx.conf excerpt runs (this checkout's
// build, a free port instead of 80, a local upstream instead of 127.0.0.1:8081) and counts what
// it proxies; the `npm start` demo's Prometheus command line scrapes the demo gateway.
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILD_LUA, freePort, startNginx, type Nginx } from "../../harness/nginx.mjs";
import { query, readmeSection, scrape, startPrometheus, total, until, type PrometheusServer } from "./helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe("prometheus README", () => {
  it("the nginx.conf excerpt runs as written and serves the requests it proxied", async () => {
    const excerpt = /```nginx\n([\s\S]*?)```/.exec(readmeSection())![1];
    const upstream: Server = createServer((_req, res) => res.end("upstream\n"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const upstreamPort = (upstream.address() as { port: number }).port;
    const port = await freePort();
    const prefix = mkdtempSync(join(tmpdir(), "resty-ts-prometheus-readme-"));
    chmodSync(prefix, 0o755);
    cleanups.push(() => rmSync(prefix, { recursive: true, force: true }));
    const text = excerpt
      .replace("/etc/nginx/resty-ts/?.lua", `${BUILD_LUA}/?.lua`)
      .replace("listen 80;", `listen 127.0.0.1:${port};`)
      .replace("http://127.0.0.1:8081;", `http://127.0.0.1:${upstreamPort};`);
    expect(text).toContain(`listen 127.0.0.1:${port};`);
    expect(text).toContain(`:${upstreamPort};`);
    const conf = join(prefix, "nginx.conf");
    const log = join(prefix, "error.log");
    writeFileSync(conf, text);
    const nginx = (...args: string[]) => execFileSync("nginx", ["-p", prefix, "-c", conf, "-e", log, "-g", `pid ${prefix}/nginx.pid;`, ...args], { stdio: "ignore" });
    nginx();
    cleanups.push(async () => {
      nginx("-s", "quit");
      for (let i = 0; i < 100 && existsSync(join(prefix, "nginx.pid")); i++) await sleep(50);
    });
    const gateway = { fetch: (path: string) => fetch(`http://127.0.0.1:${port}${path}`) } as unknown as Nginx;
    await until(() => gateway.fetch("/").then((r) => r.status, () => 0), (status) => status === 200, 10000);
    for (let i = 0; i < 4; i++) expect(await (await gateway.fetch(`/item${i}`)).text()).toBe("upstream\n");
    const metrics = await until(() => scrape(gateway), (t) => total(t, "nginx_ingress_controller_requests") >= 5);
    expect(total(metrics, "nginx_ingress_controller_requests")).toBe(5);
    expect(total(metrics, "nginx_ingress_controller_response_duration_seconds_count")).toBe(5);
    const errors = readFileSync(log, "utf8").split("\n").filter((line) => /\[(error|crit|alert|emerg)\]|invalid config/.test(line));
    expect(errors).toEqual([]);
  });

  it("the demo's Prometheus command line scrapes the `npm start` gateway", async () => {
    // Imported by a computed name: the test TypeScript project does not take in demo/.
    const DEMO_MODULE = "../../demo/prometheus.mjs";
    const demo = (await import(DEMO_MODULE)).default as {
      plugin: string; http: string; config: Record<string, unknown>;
      setup(ctx: { port: number }): Promise<unknown>; describe(ctx: { port: number }): string[];
    };
    const gateway: Nginx = await startNginx({ plugins: [demo.plugin], config: { [demo.plugin]: demo.config }, http: demo.http });
    cleanups.push(() => gateway.stop());
    await demo.setup({ port: gateway.port });
    const line = readmeSection().split("\n").find((l) => l.startsWith("`prometheus --config.file="))!;
    expect(line, "the README's prometheus command line").toBeDefined();
    expect(demo.describe({ port: gateway.port }).join("\n")).toContain(line.slice(1, line.indexOf(" --storage")));
    const storage = mkdtempSync(join(tmpdir(), "resty-ts-prometheus-demo-"));
    cleanups.push(() => rmSync(storage, { recursive: true, force: true }));
    const webPort = await freePort();
    const args = line.slice(1, line.lastIndexOf("`")).replace("$(mktemp -d)", storage).replace("127.0.0.1:9090", `127.0.0.1:${webPort}`).split(" ").slice(1);
    const prometheus: PrometheusServer = startPrometheus(args);
    cleanups.push(() => prometheus.stop());
    for (let i = 0; i < 3; i++) await (await gateway.fetch("/")).text();
    const up = await until(() => query(webPort, 'up{job="resty-ts"}'), (v) => v === 1, 25000);
    expect(up, prometheus.log()).toBe(1);
    expect(await until(() => query(webPort, "sum(nginx_ingress_controller_requests)"), (v) => (v ?? 0) >= 3, 15000)).toBeGreaterThanOrEqual(3);
  }, 60000);
});
