// A real Prometheus server (Debian's `prometheus`) scrapes the gateway; its HTTP API then
// reports the request count and a histogram quantile.
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNginx, freePort, Nginx } from "../../harness/nginx.mjs";
import { until, query, startPrometheus, WORKER_LOCATION, type PrometheusServer } from "./helpers";

let nginx: Nginx | undefined;
let prometheus: PrometheusServer | undefined;
let storage: string | undefined;
afterEach(async () => {
  await prometheus?.stop();
  if (storage) rmSync(storage, { recursive: true, force: true });
  await nginx?.stop();
  nginx = prometheus = storage = undefined;
});

/** A GET whose request length ($request_length) is about `length` bytes. */
function sized(port: number, length: number): Promise<void> {
  const head = `GET /sized HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nX-Pad: \r\n\r\n`.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/sized", agent: false, headers: { "X-Pad": "p".repeat(length - head) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("prometheus server", () => {
  it("scrapes the gateway: the request count and a request-size quantile match", async () => {
    nginx = await startNginx({
      workers: 2,
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 0.2, buckets: { size: [100, 200, 400, 800, 1600, 3200] } } },
      http: "lua_shared_dict resty_ts_metrics 4m;",
      locations: WORKER_LOCATION,
    });
    // 25 requests of ~300 bytes (200-400 bucket), 25 of ~1200 bytes (800-1600 bucket).
    for (let i = 0; i < 25; i++) await Promise.all([sized(nginx.port, 300), sized(nginx.port, 1200)]);

    const port = await freePort();
    storage = mkdtempSync(join(tmpdir(), "resty-ts-prometheus-"));
    const configFile = join(storage, "prometheus.yml");
    writeFileSync(configFile, `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gateway
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:${nginx.port}"]
`);
    prometheus = startPrometheus([`--config.file=${configFile}`, `--storage.tsdb.path=${join(storage, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);

    const up = await until(() => query(port, 'up{job="gateway"}'), (v) => v === 1, 20000);
    expect(up, prometheus.log()).toBe(1);
    const count = await until(() => query(port, "sum(nginx_ingress_controller_requests)"), (v) => v === 50, 10000);
    expect(count).toBe(50);
    // Linear interpolation inside the buckets: rank 12.5 of 25 in (200, 400], rank 37.5 in (800, 1600].
    expect(await query(port, "histogram_quantile(0.25, sum by (le) (nginx_ingress_controller_request_size_bucket))")).toBeCloseTo(300, 6);
    expect(await query(port, "histogram_quantile(0.75, sum by (le) (nginx_ingress_controller_request_size_bucket))")).toBeCloseTo(1200, 6);
    expect(await query(port, 'scrape_samples_scraped{job="gateway"}')).toBeGreaterThan(50);
  }, 45000);
});
