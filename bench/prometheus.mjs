#!/usr/bin/env node
// @ts-check
// prometheus benchmarks.
// (a) micro, side by side inside one nginx worker: histogram observe vs one raw shared-dict
//     incr (goal: <= 1x), counter inc vs one incr (goal: <= 1/3), render of 10,000 series vs
//     10,000 raw shared-dict gets (goal: <= 10x). Several rounds, medians of the ratios.
//     Each update is measured compiled (a hot loop), in the interpreter (JIT off: how most
//     per-request code runs, REFERENCE 3b) and with only the loop interpreted (callees may
//     compile; varies from run to run). "same loop": the raw incr picks among 4 keys as the
//     varied updates pick among 4 label sets, so both carry the same loop overhead.
// (b) the gateway scenario (bench/gateway.mjs) with and without the plugin (goal: >= 0.9x).
//
//   node bench/prometheus.mjs            both
//   node bench/prometheus.mjs micro      only (a)
//   node bench/prometheus.mjs gateway    only (b)
//   node bench/prometheus.mjs size       shared-dict bytes per 10,000 series (for the README)
import { cpus } from "node:os";
import { startNginx } from "../harness/nginx.mjs";
import { compare } from "./gateway.mjs";

const DICT = "lua_shared_dict resty_ts_metrics 64m;";

/** The measurements, run in a content handler; answers JSON with ns per operation. */
const MICRO = String.raw`
local metrics = require("plugins.lib.metrics")
local cjson = require("cjson")
local dict = ngx.shared.resty_ts_metrics
local clock = os.clock
local N = 2000000

local counter = metrics.counter("bench_counter_total", "Bench.", { "method", "status", "route" })
local histogram = metrics.histogram("bench_seconds", "Bench.",
  { "status", "method", "path", "namespace", "ingress", "service", "canary", "host" })
local child = histogram:labels("200", "GET", "/", "default", "web", "web-svc", "", "example.com")
local rendered = metrics.counter("bench_render_total", "Bench.", { "i" })

local function per_op(f, n)
  collectgarbage()
  collectgarbage()
  local t0 = clock()
  f(n)
  return (clock() - t0) / n * 1e9
end

local function raw_incr(n)
  for i = 1, n do dict:incr("bench_raw", 1, 0) end
end
local function counter_inc(n)
  for i = 1, n do counter:inc(1, "GET", "200", "/api") end
end
local function histogram_observe(n)
  for i = 1, n do
    histogram:observe((i % 200) * 0.001, "200", "GET", "/", "default", "web", "web-svc", "", "example.com")
  end
end
local counter_child = counter:labels("GET", "200", "/api")
local function counter_child_inc(n)
  for i = 1, n do counter_child:inc(1) end
end
local function child_observe(n)
  for i = 1, n do child:observe((i % 200) * 0.001) end
end
-- Label values changing from one call to the next (4 label sets), as requests do.
local METHODS = { "GET", "POST", "PUT", "DELETE" }
local STATUSES = { "200", "404", "500", "302" }
local RAW_KEYS = { "bench_raw_1", "bench_raw_2", "bench_raw_3", "bench_raw_4" }
-- The raw incr in the same loop as the varied updates (same selection overhead in both).
local function raw_incr_varied(n)
  for i = 1, n do
    local j = i % 4 + 1
    dict:incr(RAW_KEYS[j], 1, 0)
  end
end
local function counter_inc_varied(n)
  for i = 1, n do
    local j = i % 4 + 1
    counter:inc(1, METHODS[j], STATUSES[j], "/api")
  end
end
local function histogram_observe_varied(n)
  for i = 1, n do
    local j = i % 4 + 1
    histogram:observe((i % 200) * 0.001, STATUSES[j], METHODS[j], "/", "default", "web", "web-svc", "", "example.com")
  end
end
-- The same loops run by LuaJIT's interpreter, as most per-request code is (REFERENCE 3b):
-- the whole JIT off and its traces flushed, so neither the loop nor what it calls is compiled.
local function jit_off(f)
  return function(n)
    jit.off()
    jit.flush()
    f(n)
    jit.on()
  end
end
-- Only the loop itself interpreted: what it calls may still get compiled traces (closer to a
-- phase handler whose callees are hot, but trace formation varies from run to run).
local function loop_off(f)
  return function(n)
    jit.off(f)
    f(n)
    jit.on(f)
  end
end

-- New label sets (hosts differing mid-string): the cost per new set must not grow with their number.
local fresh = metrics.histogram("bench_fresh_seconds", "Bench.",
  { "status", "method", "path", "namespace", "ingress", "service", "canary", "host" })
local offset = 0
local function new_sets(n)
  for i = 1, n do
    fresh:observe(0.1, "200", "GET", "/api/v1/items", "default", "web-ingress", "web-svc", "", "host" .. (offset + i) .. ".example.com")
  end
  offset = offset + n
end

-- The plugin's whole log handler (15 variable reads, one label-tree lookup, 7 updates), called
-- in a loop from a content handler (variables as they are then), compiled and interpreted.
local plugin = require("plugins.prometheus.main")
local function log_handler(n)
  local log = plugin.log
  for i = 1, n do log() end
end

local SERIES = 10000
local keys = {}
local function setup_render()
  if keys[1] then return end
  for i = 1, SERIES do
    rendered:inc(1, tostring(i))
    keys[i] = 'bench_render_total{i="' .. i .. '"}'
  end
  metrics.flush()
  metrics.render() -- fills this worker's render cache, as every scrape after the first finds it
end
local sink
local function raw_gets(n)
  for r = 1, n do
    for i = 1, SERIES do sink = dict:get(keys[i]) end
  end
end
local function render(n)
  for r = 1, n do sink = metrics.render() end
end

return function()
  setup_render()
  local result = {
    incr = per_op(raw_incr, N),
    counter_inc = per_op(counter_inc, N),
    histogram_observe = per_op(histogram_observe, N),
    child_observe = per_op(child_observe, N),
    counter_child_inc = per_op(counter_child_inc, N),
    counter_child_inc_interpreted = per_op(jit_off(counter_child_inc), N / 4),
    counter_inc_varied = per_op(counter_inc_varied, N),
    histogram_observe_varied = per_op(histogram_observe_varied, N),
    incr_interpreted = per_op(jit_off(raw_incr), N / 4),
    incr_varied = per_op(raw_incr_varied, N),
    incr_varied_interpreted = per_op(jit_off(raw_incr_varied), N / 4),
    incr_loop_off = per_op(loop_off(raw_incr_varied), N / 4),
    counter_inc_loop_off = per_op(loop_off(counter_inc_varied), N / 4),
    histogram_observe_loop_off = per_op(loop_off(histogram_observe_varied), N / 4),
    counter_inc_interpreted = per_op(jit_off(counter_inc_varied), N / 4),
    histogram_observe_interpreted = per_op(jit_off(histogram_observe_varied), N / 4),
    log_handler = per_op(log_handler, N / 20),
    log_handler_interpreted = per_op(jit_off(log_handler), N / 20),
    gets_10k = per_op(raw_gets, 20),
    render_10k = per_op(render, 20),
    render_bytes = #metrics.render(),
    render_series = metrics.lastRender.series,
  }
  -- After the render measurements, which must not include these.
  result.new_sets_first_1k = per_op(new_sets, 1000)
  result.new_sets_next_8k = per_op(new_sets, 8000)
  metrics.flush()
  ngx.say(cjson.encode(result))
end
`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function micro(rounds = 5) {
  console.log("\n# prometheus micro: one nginx worker, operations in a loop (LuaJIT-compiled), ns per operation");
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    const nginx = await startNginx({
      spawnPrefix: cpus().length > 1 ? ["taskset", "-c", "0"] : [],
      logLevel: "error",
      plugins: ["prometheus"],
      config: { prometheus: { sync_interval: 1, max_series: 20000 } },
      http: DICT,
      files: { "lua/bench_prometheus_micro.lua": MICRO },
      luaPath: [],
      strictGlobals: false,
      locations: ({ prefix }) => `location /micro { content_by_lua_block { dofile("${prefix}/lua/bench_prometheus_micro.lua")() } }`,
    });
    try {
      const response = await nginx.fetch("/micro");
      const text = await response.text();
      if (response.status !== 200) throw new Error(`micro: ${response.status} ${text}\n${nginx.errorLog()}`);
      const row = JSON.parse(text);
      rows.push(row);
      console.log(`  round ${round + 1}: compiled: incr ${row.incr.toFixed(1)}  counter.inc ${row.counter_inc.toFixed(1)} (varied ${row.counter_inc_varied.toFixed(1)})  histogram.observe ${row.histogram_observe.toFixed(1)} (varied ${row.histogram_observe_varied.toFixed(1)})  child.observe ${row.child_observe.toFixed(1)}`);
      console.log(`           interpreted: incr ${row.incr_interpreted.toFixed(1)} (same loop as varied ${row.incr_varied_interpreted.toFixed(1)})  counter.inc ${row.counter_inc_interpreted.toFixed(1)}  histogram.observe ${row.histogram_observe_interpreted.toFixed(1)}`);
      console.log(`           loop interpreted: incr ${row.incr_loop_off.toFixed(1)}  counter.inc ${row.counter_inc_loop_off.toFixed(1)}  histogram.observe ${row.histogram_observe_loop_off.toFixed(1)}`);
      console.log(`           new label sets: first 1,000 ${(row.new_sets_first_1k / 1000).toFixed(1)} us each, next 8,000 ${(row.new_sets_next_8k / 1000).toFixed(1)} us each`);
      console.log(`           plugin log handler: compiled ${row.log_handler.toFixed(0)} ns, interpreted ${row.log_handler_interpreted.toFixed(0)} ns per request`);
      console.log(`           10k gets ${(row.gets_10k / 1e6).toFixed(2)} ms  render 10k ${(row.render_10k / 1e6).toFixed(2)} ms (${row.render_series} series, ${row.render_bytes} bytes)`);
    } finally {
      await nginx.stop({ check: false });
    }
  }
  const ratio = (a, b) => median(rows.map((r) => r[a] / r[b]));
  const lines = [
    ["histogram observe (8 labels) / raw incr", ratio("histogram_observe", "incr"), "<= 1"],
    ["histogram child observe / raw incr", ratio("child_observe", "incr"), "<= 1"],
    ["histogram observe, 4 label sets / raw incr", ratio("histogram_observe_varied", "incr"), "<= 1"],
    ["counter inc (3 labels) / raw incr", ratio("counter_inc", "incr"), "<= 0.333"],
    ["counter inc, 4 label sets / raw incr", ratio("counter_inc_varied", "incr"), "<= 0.333"],
    ["counter child inc / raw incr", ratio("counter_child_inc", "incr"), "<= 0.333"],
    ["interpreted: counter child inc / raw incr", ratio("counter_child_inc_interpreted", "incr_interpreted"), "<= 0.333"],
    ["interpreted: histogram observe / raw incr", ratio("histogram_observe_interpreted", "incr_interpreted"), "<= 1"],
    ["interpreted: counter inc / raw incr", ratio("counter_inc_interpreted", "incr_interpreted"), "<= 0.333"],
    ["interpreted: counter inc / raw incr, same loop", ratio("counter_inc_interpreted", "incr_varied_interpreted"), "<= 0.333"],
    ["interpreted: histogram observe / raw incr, same loop", ratio("histogram_observe_interpreted", "incr_varied_interpreted"), "<= 1"],
    ["histogram observe, 4 label sets / raw incr, same loop", ratio("histogram_observe_varied", "incr_varied"), "<= 1"],
    ["loop interpreted: counter inc / raw incr, same loop", ratio("counter_inc_loop_off", "incr_loop_off"), "<= 0.333"],
    ["loop interpreted: histogram observe / raw incr, same loop", ratio("histogram_observe_loop_off", "incr_loop_off"), "<= 1"],
    ["render 10,000 series / 10,000 raw gets", ratio("render_10k", "gets_10k"), "<= 10"],
    ["new label set, 8,000 more / first 1,000", ratio("new_sets_next_8k", "new_sets_first_1k"), "~1 (no hash-chain growth)"],
  ];
  console.log(`\n  ${"ratio (median of rounds)".padEnd(58)} ${"value".padStart(8)}  goal`);
  for (const [name, value, goal] of lines) console.log(`  ${String(name).padEnd(58)} ${Number(value).toFixed(3).padStart(8)}  ${goal}`);
}

/** Shared-dict bytes used by 10,000 series: counters alone, and the 7 request metrics per label set. */
const SIZE = String.raw`
local metrics = require("plugins.lib.metrics")
local dict = ngx.shared.resty_ts_metrics
local LABELS = { "status", "method", "path", "namespace", "ingress", "service", "canary", "host" }
local counter = metrics.counter("size_counter_total", "Size.", LABELS)
local function used() return dict:capacity() - dict:free_space() end
return function()
  local args = ngx.req.get_uri_args()
  local before = used()
  local observe = args.kind == "requests"
  local histograms = {}
  if observe then
    for _, name in ipairs({ "request_duration_seconds", "response_duration_seconds", "header_duration_seconds", "connect_duration_seconds" }) do
      histograms[#histograms + 1] = metrics.histogram("size_" .. name, "Size.", LABELS)
    end
    for _, name in ipairs({ "request_size", "response_size" }) do
      histograms[#histograms + 1] = metrics.histogram("size_" .. name, "Size.", LABELS, { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 })
    end
  end
  local sets = tonumber(args.sets)
  for i = 1, sets do
    local host = "host" .. i .. ".example.com"
    counter:inc(1, "200", "GET", "/api/v1/items", "default", "web-ingress", "web-svc", "", host)
    for j = 1, #histograms do
      histograms[j]:observe(0.05, "200", "GET", "/api/v1/items", "default", "web-ingress", "web-svc", "", host)
    end
  end
  metrics.flush()
  metrics.render()
  ngx.say(used() - before, " ", metrics.lastRender.lines)
end
`;

async function size() {
  console.log("\n# prometheus shared-dict size (label values like ingress-nginx's; an exposition line is one series)");
  for (const kind of ["counter", "requests"]) {
    const nginx = await startNginx({
      logLevel: "error",
      plugins: ["prometheus"],
      config: { prometheus: { max_series: 20000 } },
      http: "lua_shared_dict resty_ts_metrics 256m;",
      files: { "lua/bench_prometheus_size.lua": SIZE },
      strictGlobals: false,
      locations: ({ prefix }) => `location /size { content_by_lua_block { dofile("${prefix}/lua/bench_prometheus_size.lua")() } }`,
    });
    try {
      const sets = kind === "counter" ? 10000 : 1000;
      const [bytes, lines] = (await (await nginx.fetch(`/size?kind=${kind}&sets=${sets}`)).text()).trim().split(" ").map(Number);
      const what = kind === "counter" ? "10,000 counter series" : "1,000 label sets of the 7 request metrics (1 counter + 6 histograms)";
      console.log(`  ${what}: ${(bytes / 1024 / 1024).toFixed(1)} MiB for ~${Math.round(lines)} exposition lines, ${(bytes / lines * 10000 / 1024 / 1024).toFixed(1)} MiB per 10,000 lines`);
    } finally {
      await nginx.stop({ check: false });
    }
  }
}

async function gateway() {
  await compare({
    title: "prometheus gateway",
    // Each round starts both nginx afresh, and throughput from one start to the next swings by
    // 10% or more on this 2-core machine (both nginx share a core): more rounds, steadier medians.
    rounds: Number(process.env.ROUNDS ?? 7),
    variants: {
      without: {},
      prometheus: { plugins: ["prometheus"], http: "lua_shared_dict resty_ts_metrics 16m;" },
    },
    baseline: "without",
  });
}

const only = process.argv[2];
if (only === undefined || only === "micro") await micro();
if (only === undefined || only === "size") await size();
if (only === undefined || only === "gateway") await gateway();
