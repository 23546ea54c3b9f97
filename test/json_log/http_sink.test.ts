// The http sink in real nginx against a local Node collector: every entry exactly once while it
// is up; while it is down (or hangs, or refuses) requests are unaffected and drops are counted
// (also by prometheus); delivery resumes when it comes back.
import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { startNginx, freePort, type Nginx } from "../../harness/nginx.mjs";
import { parseLine } from "./support";

let nginx: Nginx | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
  for (const close of closers.splice(0)) await close();
});

/** A collector: records each NDJSON entry's `n` tag; answers `status` (200 by default). */
class Collector {
  tags: string[] = [];
  batches = 0;
  contentTypes = new Set<string>();
  status = 200;
  server: Server | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        if (this.status === 200) {
          const body = Buffer.concat(chunks);
          expect(body[body.length - 1]).toBe(0x0a);
          for (const line of body.subarray(0, body.length - 1).toString("latin1").split("\n")) {
            const entry = parseLine(Buffer.from(line, "latin1"));
            this.tags.push(String((entry.args as Record<string, string>).n));
          }
          this.batches++;
          this.contentTypes.add(String(req.headers["content-type"]));
        }
        res.writeHead(this.status, { "Content-Length": "0" });
        res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    closers.push(() => this.stop());
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A TCP server that accepts connections and never answers. */
async function hangingServer(port: number): Promise<TcpServer> {
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => { sockets.push(socket); socket.on("error", () => {}); });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return server;
}

async function send(server: Nginx, tag: string, count: number, parallel = 10): Promise<void> {
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, async (_, j) => {
      const response = await server.fetch(`/?n=${tag}-${i + j}`);
      expect(response.status).toBe(200);
      await response.text();
    }));
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectExactlyOnce(seen: string[], tag: string, count: number): void {
  const mine = seen.filter((t) => t.startsWith(`${tag}-`)).sort();
  expect(mine).toEqual(Array.from({ length: count }, (_, i) => `${tag}-${i}`).sort());
}

const SINK = { batch_size: 50, flush_interval: 0.05, queue_limit: 200, timeout: 3000, retries: 2, retry_delay: 0.05 };

/** Reads the dropped counter from the prometheus plugin's scrape endpoint. */
async function droppedMetric(server: Nginx): Promise<number> {
  const text = await (await server.fetch("/metrics")).text();
  const match = /^resty_ts_json_log_dropped_total\{sink="http"\} (\S+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe("json_log http sink", () => {
  it("delivers exactly once while up, drops (counted) while down, resumes after", async () => {
    const collector = new Collector(await freePort());
    await collector.start();
    nginx = await startNginx({
      plugins: ["prometheus", "json_log"],
      http: "lua_shared_dict resty_ts_metrics 4m;",
      config: {
        prometheus: { sync_interval: 0.05 },
        json_log: { sink: "http", http: { url: `http://127.0.0.1:${collector.port}/ingest`, headers: { "X-Token": "t" }, ...SINK } },
      },
      allowLog: [/json_log: http sink: giving up a batch/, /connect\(\) failed \(111: Connection refused\)/],
    });

    await send(nginx, "up", 500);
    await until(() => collector.tags.length >= 500, "500 entries at the collector");
    expectExactlyOnce(collector.tags, "up", 500);
    expect(collector.batches).toBeLessThan(500);
    expect([...collector.contentTypes]).toEqual(["application/x-ndjson"]);

    await collector.stop();
    const started = Date.now();
    await send(nginx, "down", 800, 20);
    const downMs = Date.now() - started;
    await until(() => /json_log: dropped \d+ log entries/.test(nginx!.errorLog()), "the drop line");
    const dropLines = nginx.errorLog().split("\n").filter((line) => /json_log: dropped \d+ log entries/.test(line));
    expect(dropLines.length).toBeLessThanOrEqual(Math.ceil(downMs / 1000) + 3);
    // Prometheus exports the count (workers sync every 0.05 s; poll with a generous deadline).
    let dropped = 0;
    let scrapes = 0;
    for (const deadline = Date.now() + 15000; dropped < 600 && Date.now() < deadline;) {
      dropped = await droppedMetric(nginx);
      scrapes++;
      if (dropped < 600) await new Promise((r) => setTimeout(r, 50));
    }
    expect(dropped).toBeGreaterThanOrEqual(600); // at most queue_limit (200) were kept
    expect(dropped).toBeLessThanOrEqual(800 + scrapes); // (the scrapes are logged too)

    // Back up: the backlog (at most queue_limit entries) drains first; a probe marks its end.
    await collector.start();
    for (let i = 0, deadline = Date.now() + 15000; !collector.tags.some((t) => t.startsWith("probe")); i++) {
      if (Date.now() > deadline) throw new Error("the backlog did not drain");
      await (await nginx.fetch(`/?n=probe${i}`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    await send(nginx, "again", 300);
    await until(() => collector.tags.filter((t) => t.startsWith("again-")).length >= 300, "delivery to resume");
    expectExactlyOnce(collector.tags, "again", 300);
    expect(new Set(collector.tags.filter((t) => t.startsWith("down-"))).size)
      .toBe(collector.tags.filter((t) => t.startsWith("down-")).length);
  });

  it("keeps serving when the collector hangs or refuses; gives up batches with one line each", async () => {
    const hangPort = await freePort();
    await hangingServer(hangPort);
    nginx = await startNginx({
      plugins: ["json_log"],
      config: { json_log: { sink: "http", http: { url: `http://127.0.0.1:${hangPort}/`, ...SINK, timeout: 300, retries: 1 } } },
      // lua-nginx-module logs socket timeouts itself (`lua_socket_log_errors off` silences it).
      allowLog: [/json_log: http sink: giving up a batch/, /lua tcp socket read timed out/],
    });
    await send(nginx, "hang", 400, 20);
    await until(() => /giving up a batch of \d+ entries after 2 attempt\(s\): .*timeout/.test(nginx!.errorLog()), "a given-up batch");
    await until(() => /json_log: dropped \d+ log entries/.test(nginx!.errorLog()), "the drop line");
    await nginx.stop();

    const refusing = new Collector(await freePort());
    refusing.status = 400;
    await refusing.start();
    nginx = await startNginx({
      plugins: ["json_log"],
      config: { json_log: { sink: "http", http: { url: `http://127.0.0.1:${refusing.port}/`, ...SINK } } },
      allowLog: [/json_log: http sink: giving up a batch/],
    });
    await send(nginx, "refused", 60);
    // A 400 is not retried: one attempt per batch.
    await until(() => /giving up a batch of \d+ entries after 1 attempt\(s\): the collector answered 400/.test(nginx!.errorLog()), "a refused batch");
  });
});
