// The prometheus plugin and plugins/lib/metrics in real nginx: exact counts across workers,
// exposition checked by promtool, serving under both dispatchers, allow, bad input, the series
// cap, a full shared dict, worker restarts.
import { describe, it, expect, afterEach } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNginx, luaJson, INGRESS_PHASE_HOOKS, Nginx } from "../../harness/nginx.mjs";
import { samples, total, sample, promtoolProblems, scrape, until, load, getWithHost, WORKER_LOCATION } from "./helpers";

let nginx: Nginx | undefined;
let other: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  await other?.stop();
  nginx = other = undefined;
});

const DICT = "lua_shared_dict resty_ts_metrics 4m;";
const LABELS = 'status="200",method="GET",path="",namespace="",ingress="",service="",canary=""';
const REQUESTS = "nginx_ingress_controller_requests";

/** Every histogram series in the text: buckets present, cumulative, +Inf == _count. */
function checkHistograms(text: string, name: string, bounds: string[]): number {
  const all = samples(text);
  let seriesCount = 0;
  for (const [series, count] of all) {
    if (!series.startsWith(`${name}_count`)) continue;
    seriesCount++;
    const labels = series.slice(`${name}_count`.length + 1, -1);
    let previous = 0;
    for (const le of [...bounds, "+Inf"]) {
      const bucket = all.get(`${name}_bucket{${labels === "" ? "" : `${labels},`}le="${le}"}`);
      expect(bucket, `${name} ${labels} le=${le}`).toBeDefined();
      expect(bucket as number).toBeGreaterThanOrEqual(previous);
      previous = bucket as number;
    }
    expect(previous).toBe(count);
    expect(all.get(`${name}_sum${labels === "" ? "" : `{${labels}}`}`)).toBeDefined();
  }
  return seriesCount;
}

const TIME_BOUNDS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"];
const SIZE_BOUNDS = ["10", "20", "30", "40", "50", "60", "70", "80", "90", "100"];

/** A second server in the same nginx (no phase hooks: not recorded) for proxied requests. */
const upstreamServer = ({ ports }: { ports: Record<string, number> }) => `
    server {
        listen 127.0.0.1:${ports.upstream};
        location / { return 200 "upstream\\n"; }
    }`;

describe("prometheus", () => {
  it("counts every request exactly across 2 workers after one sync interval; promtool accepts the output", async () => {
    nginx = await startNginx({
      workers: 2,
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 0.5 } },
      // exit_worker flushes too (the stop at the end checks it logs no error).
      http: (ctx) => `${DICT}\n exit_worker_by_lua_block { plugins.run("exit_worker") }\n${upstreamServer(ctx)}`,
      ports: ["upstream"],
      locations: ({ ports }) => `${WORKER_LOCATION}
        location /up { proxy_pass http://127.0.0.1:${ports.upstream}; add_header X-Worker $pid; }`,
    });
    const pids = new Set<string>();
    let direct = 0;
    let proxied = 0;
    for (let round = 0; round < 6 && (pids.size < 2 || round < 2); round++) {
      for (const pid of await load(nginx, 100, 16)) pids.add(pid);
      for (const pid of await load(nginx, 50, 16, () => "/up")) pids.add(pid);
      direct += 100;
      proxied += 50;
    }
    expect(pids.size).toBe(2);
    const n = direct + proxied;
    // One sync interval (0.5 s) after the last request, with slack for a loaded machine: the
    // first scrape already counts every request of both workers (no polling).
    await new Promise((r) => setTimeout(r, 2000));
    const text = await scrape(nginx);
    expect(total(text, REQUESTS)).toBe(n);
    // Another interval later nothing is counted twice.
    await new Promise((r) => setTimeout(r, 1200));
    const later = await scrape(nginx);
    expect(total(later, REQUESTS)).toBe(n);
    expect(sample(later, `${REQUESTS}{${LABELS},host="127.0.0.1"}`)).toBe(n);
    // Upstream timings only for proxied requests; every request has a duration and sizes.
    expect(total(later, "nginx_ingress_controller_response_duration_seconds_count")).toBe(proxied);
    expect(total(later, "nginx_ingress_controller_connect_duration_seconds_count")).toBe(proxied);
    expect(total(later, "nginx_ingress_controller_header_duration_seconds_count")).toBe(proxied);
    expect(total(later, "nginx_ingress_controller_request_duration_seconds_count")).toBe(n);
    expect(total(later, "nginx_ingress_controller_request_size_count")).toBe(n);
    expect(total(later, "nginx_ingress_controller_response_size_count")).toBe(n);
    // Responses are > 100 bytes: all in +Inf, none in the finite buckets (zero-count buckets shown).
    expect(sample(later, `nginx_ingress_controller_response_size_bucket{${LABELS},host="127.0.0.1",le="100"}`)).toBe(0);
    for (const name of ["request_duration_seconds", "response_duration_seconds", "header_duration_seconds", "connect_duration_seconds"]) {
      expect(checkHistograms(later, `nginx_ingress_controller_${name}`, TIME_BOUNDS)).toBeGreaterThan(0);
    }
    for (const name of ["request_size", "response_size"]) {
      expect(checkHistograms(later, `nginx_ingress_controller_${name}`, SIZE_BOUNDS)).toBeGreaterThan(0);
    }
    // Connection gauges from the stub_status variables; the scrape itself is one active connection.
    expect(sample(later, 'nginx_ingress_controller_nginx_process_connections{state="active"}')).toBeGreaterThanOrEqual(1);
    expect(sample(later, 'nginx_ingress_controller_nginx_process_connections{state="writing"}')).toBeGreaterThanOrEqual(1);
    expect(sample(later, 'resty_ts_shared_dict_capacity_bytes{dict="resty_ts_metrics"}')).toBe(4 * 1024 * 1024);
    expect(sample(later, 'resty_ts_shared_dict_free_bytes{dict="resty_ts_metrics"}')).toBeGreaterThan(0);
    expect(sample(later, 'resty_ts_metrics_errors_total{reason="bad_value"}')).toBe(0);
    expect(sample(later, `resty_ts_metrics_series_refused_total{metric="${REQUESTS}"}`)).toBe(0);
    // One HELP and TYPE per family, families in a stable (sorted) order.
    const families = later.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(new Set(families).size).toBe(families.length);
    expect([...families].sort()).toEqual(families);
    expect(promtoolProblems(later)).toEqual([]);
    // Same order on the next scrape.
    const again = await scrape(nginx);
    const order = (t: string) => t.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(order(again).filter((s) => !s.includes("connections") && !s.includes("free_bytes"))).toEqual(order(later).filter((s) => !s.includes("connections") && !s.includes("free_bytes")));
  });

  it("takes labels from ingress-nginx's variables when they exist and names metrics with the configured prefix", async () => {
    nginx = await startNginx({
      plugins: ["prometheus"],
      config: { prometheus: { prefix: "edge_", sync_interval: 0.2 } },
      http: DICT,
      locations: `${WORKER_LOCATION}
        location /api {
            set $namespace "shop"; set $ingress_name "web"; set $service_name "web-svc";
            set $location_path "/api"; set $proxy_alternative_upstream_name "shop-web-canary-80";
            return 201 "created\n";
        }`,
    });
    await load(nginx, 3, 1, () => "/api", () => ({ method: "POST" }));
    await load(nginx, 2, 1);
    const text = await until(() => scrape(nginx as Nginx), (t) => total(t, "edge_requests") >= 5);
    expect(sample(text, 'edge_requests{status="201",method="POST",path="/api",namespace="shop",ingress="web",service="web-svc",canary="shop-web-canary-80",host="127.0.0.1"}')).toBe(3);
    // Variables that do not exist give "".
    expect(sample(text, `edge_requests{${LABELS},host="127.0.0.1"}`)).toBe(2);
    expect(text).toContain("# TYPE edge_requests counter\n");
    for (const name of ["request_duration_seconds", "response_duration_seconds", "header_duration_seconds", "connect_duration_seconds", "request_size", "response_size"]) {
      expect(text).toContain(`# TYPE edge_${name} histogram\n`);
    }
    expect(text).toContain("# TYPE edge_nginx_process_connections gauge\n");
    expect(text).not.toContain("nginx_ingress_controller_");
    expect(promtoolProblems(text)).toEqual([]);
  });

  it("serves the configured path from the rewrite handler under ingress-nginx's own dispatcher, guarded by allow", async () => {
    const server = (allow: string[]) => ({
      plugins: ["prometheus"],
      configVia: "env" as const,
      config: { prometheus: { path: "/custom-metrics", allow, sync_interval: 0.2, per_host: false } },
      http: DICT,
      init: `plugins = require("plugins")\n        plugins.init("prometheus")`,
      servers: ({ port }: { port: number }) => `
    server {
        listen 127.0.0.1:${port};
${INGRESS_PHASE_HOOKS}
        ${WORKER_LOCATION}
    }`,
    });
    nginx = await startNginx(server(["127.0.0.0/8", "::1"]));
    await load(nginx, 10, 2);
    const text = await until(() => scrape(nginx as Nginx, "/custom-metrics"), (t) => total(t, REQUESTS) >= 10);
    expect(sample(text, `${REQUESTS}{${LABELS}}`)).toBe(10);
    expect((await nginx.fetch("/metrics")).headers.get("x-worker")).not.toBeNull(); // not intercepted
    other = await startNginx(server(["10.0.0.0/8"]));
    const denied = await other.fetch("/custom-metrics");
    expect(denied.status).toBe(403);
    expect(await denied.text()).not.toContain(REQUESTS);
  });

  it("escapes label values, keeps them valid UTF-8, cuts 10 KB hosts, and counts bad values and label counts as errors", async () => {
    const config = { prometheus: { sync_interval: 0.2 } };
    nginx = await startNginx({
      plugins: ["fixture", "prometheus"],
      files: { "lua/plugins/fixture/main.lua": FIXTURE },
      init: ({ prefix }) => `package.path = "${prefix}/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init({ "fixture", "prometheus" }, ${luaJson(config)})`,
      http: `${DICT}\n large_client_header_buffers 4 32k;`,
      locations: `${WORKER_LOCATION}
        location /fixture { content_by_lua_block { require("plugins.fixture.main").act() } }`,
    });
    const raw = (bytes: number[]) => bytes.map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
    const label = (value: string) => `/fixture?label=${encodeURIComponent(value)}`;
    expect((await nginx.fetch(label('a"b\\c\nd'))).status).toBe(200);
    expect((await nginx.fetch(`/fixture?label=x${raw([0xff, 0xc3, 0x28, 0xe2, 0x82])}y`)).status).toBe(200);
    expect((await nginx.fetch(label("ünïcödé ✓"))).status).toBe(200);
    expect((await nginx.fetch("/fixture?bad=1")).status).toBe(200);
    const longHost = `${"h".repeat(10 * 1024)}.example`;
    expect(await getWithHost(nginx, longHost)).toBe(200);
    const text = await until(() => scrape(nginx as Nginx), (t) => total(t, "fixture_seconds_count") >= 1 && total(t, REQUESTS) >= 1);
    expect(text).toContain('fixture_labels_total{value="a\\"b\\\\c\\nd"} 1\n');
    expect(text).toContain('fixture_labels_total{value="x\uFFFD\uFFFD(\uFFFD\uFFFDy"} 1\n');
    expect(text).toContain('fixture_labels_total{value="ünïcödé ✓"} 1\n');
    expect(text).toContain('# HELP fixture_labels_total Fixture "help" with \\\\ and\\nnewline\n');
    expect(Buffer.from(text, "utf8").toString("utf8")).toBe(text);
    // Refused observations: -1, NaN, +Inf, and a counter decrement; two calls with a label too many.
    expect(sample(text, 'resty_ts_metrics_errors_total{reason="bad_value"}')).toBe(4);
    expect(sample(text, 'resty_ts_metrics_errors_total{reason="label_count"}')).toBe(2);
    expect(sample(text, 'fixture_labels_total{value="one"}')).toBe(1);
    expect(text).not.toContain('value="fresh"');
    expect(sample(text, 'fixture_seconds_count{kind="ok"}')).toBe(1);
    expect(text).not.toMatch(/fixture_seconds_count\{kind="(neg|nan|inf)"\}/);
    // The 10 KB host is cut to 1024 bytes.
    const hostLine = text.split("\n").find((l) => l.startsWith(`${REQUESTS}{`) && l.includes("hhhh"));
    expect(hostLine).toContain(`host="${"h".repeat(1024)}"}`);
    expect(promtoolProblems(text)).toEqual([]);
  });

  it("places each observation in the bucket of the first bound it does not exceed (bounds included)", async () => {
    nginx = await startNginx({
      plugins: ["fixture", "prometheus"],
      files: { "lua/plugins/fixture/main.lua": FIXTURE },
      init: ({ prefix }) => `package.path = "${prefix}/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init({ "fixture", "prometheus" }, ${luaJson({ prometheus: { sync_interval: 0.2 } })})`,
      http: DICT,
      locations: `${WORKER_LOCATION}
        location /fixture { content_by_lua_block { require("plugins.fixture.main").act() } }`,
    });
    expect((await nginx.fetch("/fixture?buckets=1")).status).toBe(200);
    const text = await until(() => scrape(nginx as Nginx), (t) => total(t, "fixture_placed_count") >= 18);
    for (const via of ["family", "child"]) {
      // 0 and 0.1 | 0.1000001 and 1 | 2.5 | 2.6 | 10 | 10.5 and 1e9, cumulative.
      const expected: Record<string, number> = { "0.1": 2, "1": 4, "2.5": 5, "5": 6, "10": 7, "+Inf": 9 };
      for (const [le, count] of Object.entries(expected)) {
        expect(sample(text, `fixture_placed_bucket{via="${via}",le="${le}"}`), `${via} le=${le}`).toBe(count);
      }
      const even: Record<string, number> = { "1": 1, "2": 2, "3": 2, "4": 3, "+Inf": 4 };
      for (const [le, count] of Object.entries(even)) {
        expect(sample(text, `fixture_placed_even_bucket{via="${via}",le="${le}"}`), `even ${via} le=${le}`).toBe(count);
      }
      expect(sample(text, `fixture_placed_sum{via="${via}"}`)).toBeCloseTo(0.1 + 0.1000001 + 1 + 2.5 + 2.6 + 10 + 10.5 + 1e9, 3);
    }
  });

  it("refuses label sets past max_series and counts them", async () => {
    nginx = await startNginx({
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 0.2, max_series: 3 } },
      http: DICT,
      locations: WORKER_LOCATION,
    });
    for (let i = 0; i < 12; i++) expect(await getWithHost(nginx, `host${i % 6}.example`)).toBe(200);
    const text = await until(() => scrape(nginx as Nginx), (t) => total(t, REQUESTS) >= 6);
    expect(total(text, REQUESTS)).toBe(6);
    expect(text.split("\n").filter((l) => l.startsWith(`${REQUESTS}{`))).toHaveLength(3);
    expect(sample(text, `resty_ts_metrics_series_refused_total{metric="${REQUESTS}"}`)).toBe(6); // hosts 3..5, twice
    expect(text.split("\n").filter((l) => l.startsWith("nginx_ingress_controller_request_size_count{"))).toHaveLength(3);
  });

  it("survives a full shared dict: requests still answer, the error counter counts it, one log line a minute", async () => {
    nginx = await startNginx({
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 0.1 } },
      http: "lua_shared_dict resty_ts_metrics 64k;",
      locations: WORKER_LOCATION,
      allowLog: [/lua_shared_dict resty_ts_metrics is full/],
    });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 60; i++) {
        expect(await getWithHost(nginx, `full${i}.example`)).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const text = await until(() => scrape(nginx as Nginx), (t) => (sample(t, 'resty_ts_metrics_errors_total{reason="dict_full"}') ?? 0) > 0);
    expect(sample(text, 'resty_ts_metrics_errors_total{reason="dict_full"}')).toBeGreaterThan(0);
    expect(total(text, REQUESTS)).toBeGreaterThan(0);
    expect(nginx.errorLog().match(/lua_shared_dict resty_ts_metrics is full/g)).toHaveLength(1);
  });

  it("the worker answering a scrape flushes its own updates first (no timer needed)", async () => {
    nginx = await startNginx({
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 60 } },
      http: DICT,
      locations: WORKER_LOCATION,
    });
    // The first flush at worker start has run once the errors counter shows.
    await until(() => scrape(nginx as Nginx), (t) => t.includes('resty_ts_metrics_errors_total{reason="bad_value"} 0'));
    await load(nginx, 20, 4);
    expect(total(await scrape(nginx), REQUESTS)).toBe(20);
    expect(total(await scrape(nginx), REQUESTS)).toBe(20);
  });

  it("flushes when a worker exits gracefully and never resets the error counter", async () => {
    const config = { prometheus: { sync_interval: 30 } };
    nginx = await startNginx({
      workers: 2,
      plugins: ["fixture", "prometheus"],
      files: { "lua/plugins/fixture/main.lua": FIXTURE },
      init: ({ prefix }) => `package.path = "${prefix}/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init({ "fixture", "prometheus" }, ${luaJson(config)})`,
      http: DICT,
      locations: `${WORKER_LOCATION}
        location /fixture { content_by_lua_block { require("plugins.fixture.main").act() } }`,
    });
    await load(nginx, 100, 16);
    for (let i = 0; i < 2; i++) await (await nginx.fetch("/fixture?bad=1")).text();
    const before = nginx.workerPids();
    await nginx.reload();
    await until(async () => nginx!.workerPids(), (pids) => pids.length === 2 && !pids.some((p) => before.includes(p)));
    const text = await until(() => scrape(nginx as Nginx), (t) => total(t, REQUESTS) >= 100);
    expect(total(text, REQUESTS)).toBe(102); // 100 + 2 to /fixture
    expect(sample(text, 'resty_ts_metrics_errors_total{reason="bad_value"}')).toBe(8);
    expect(sample(text, 'resty_ts_metrics_errors_total{reason="label_count"}')).toBe(4);
  });

  it("after a reload that changes the buckets, histograms stay consistent (old series left aside)", async () => {
    nginx = await startNginx({
      workers: 2,
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 0.2, buckets: { size: [50, 500] } } },
      http: DICT,
      locations: WORKER_LOCATION,
    });
    await load(nginx, 20, 4);
    const before = await until(() => scrape(nginx as Nginx), (t) => total(t, REQUESTS) >= 20);
    expect(checkHistograms(before, "nginx_ingress_controller_request_size", ["50", "500"])).toBe(1);
    const confFile = join(nginx.prefix, "conf", "nginx.conf");
    const conf = readFileSync(confFile, "utf8");
    expect(conf).toContain('"size":[50,500]');
    writeFileSync(confFile, conf.replace('"size":[50,500]', '"size":[100,1000,10000]'));
    const old = nginx.workerPids();
    await nginx.reload();
    await until(async () => nginx!.workerPids(), (pids) => pids.length === 2 && !pids.some((p) => old.includes(p)));
    await load(nginx, 10, 4);
    const after = await until(() => scrape(nginx as Nginx), (t) => total(t, "nginx_ingress_controller_request_size_count") >= 10);
    expect(checkHistograms(after, "nginx_ingress_controller_request_size", ["100", "1000", "10000"])).toBe(1);
    expect(total(after, "nginx_ingress_controller_request_size_count")).toBe(10);
    expect(after).not.toContain('le="50"');
    expect(total(after, REQUESTS)).toBe(30); // the counter's layout did not change: it goes on
    expect(promtoolProblems(after)).toEqual([]);
  });

  it("loads with an invalid configuration and denies scrapes; without the dict answers 503", async () => {
    nginx = await startNginx({
      plugins: ["prometheus"],
      config: { prometheus: { allow: ["10.0.0.300"], sync_interval: 0.2 } },
      http: DICT,
      locations: WORKER_LOCATION,
      allowLog: [/plugin "prometheus": invalid config: key "allow\[1\]"/],
    });
    expect((await nginx.fetch("/metrics")).status).toBe(403);
    expect((await nginx.fetch("/")).status).toBe(200);
    expect(nginx.errorLog()).toMatch(/plugin "prometheus": invalid config: key "allow\[1\]": expected an IP address/);
    other = await startNginx({
      plugins: ["prometheus"],
      locations: WORKER_LOCATION,
      allowLog: [/metrics are disabled: lua_shared_dict resty_ts_metrics is not configured/],
    });
    const response = await other.fetch("/metrics");
    expect(response.status).toBe(503);
    expect((await other.fetch("/")).status).toBe(200);
    expect(other.errorLog()).toMatch(/metrics are disabled: lua_shared_dict resty_ts_metrics is not configured/);
  });
});

/** A plugin using plugins.lib.metrics directly, with the bad input the typed API cannot stop. */
const FIXTURE = String.raw`
local metrics = require("plugins.lib.metrics")
local labels = metrics.counter("fixture_labels_total", "Fixture \"help\" with \\ and\nnewline", { "value" })
local seconds = metrics.histogram("fixture_seconds", "Fixture histogram.", { "kind" }, { 0.1, 1 })
local placed = metrics.histogram("fixture_placed", "Bucket placement.", { "via" }, { 0.1, 1, 2.5, 5, 10 })
local placedEven = metrics.histogram("fixture_placed_even", "Bucket placement.", { "via" }, { 1, 2, 3, 4 })
local _M = { name = "fixture" }
function _M.act()
  local args = ngx.req.get_uri_args()
  if args.buckets then
    local child, evenChild = placed:labels("child"), placedEven:labels("child")
    for _, v in ipairs({ 0, 0.1, 0.1000001, 1, 2.5, 2.6, 10, 10.5, 1e9 }) do
      placed:observe(v, "family")
      child:observe(v)
    end
    for _, v in ipairs({ 1, 1.5, 4, 4.5 }) do
      placedEven:observe(v, "family")
      evenChild:observe(v)
    end
  end
  if args.label then labels:inc(1, args.label) end
  if args.bad then
    seconds:observe(-1, "neg")
    seconds:observe(0 / 0, "nan")
    seconds:observe(math.huge, "inf")
    labels:inc(-5, "negative")
    labels:inc(1, "one")
    labels:inc(1, "one", "too many") -- a known label set, one value too many
    labels:inc(1, "fresh", "too many") -- a new label set, one value too many
    seconds:observe(0.5, "ok")
  end
  ngx.say("done")
end
return _M
`;
