#!/usr/bin/env node
// @ts-check
// prometheus benchmarks.
// (a) micro, side by side inside one nginx worker: histogram observe vs one raw shared-dict
//     incr (goal: <= 1x), counter inc vs one incr (goal: <= 1/3), render of 10,000 series vs
//     10,000 raw shared-dict gets (goal: <= 10x). Several rounds, medians of the ratios.
// (b) the gateway scenario (bench/gateway.mjs) with and without the plugin (goal: >= 0.9x).
//
//   node bench/prometheus.mjs            both
//   node bench/prometheus.mjs micro      only (a)
//   node bench/prometheus.mjs gateway    only (b)
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
local function child_observe(n)
  for i = 1, n do child:observe((i % 200) * 0.001) end
end
-- Label values changing from one call to the next (4 label sets), as requests do.
local METHODS = { "GET", "POST", "PUT", "DELETE" }
local STATUSES = { "200", "404", "500", "302" }
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
-- The same loops run by LuaJIT's interpreter, as most per-request code is (REFERENCE 3b).
local function jit_off(f)
  return function(n)
    jit.off(f)
    f(n)
    jit.on(f)
  end
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
    counter_inc_varied = per_op(counter_inc_varied, N),
    histogram_observe_varied = per_op(histogram_observe_varied, N),
    incr_interpreted = per_op(jit_off(raw_incr), N / 4),
    counter_inc_interpreted = per_op(jit_off(counter_inc_varied), N / 4),
    histogram_observe_interpreted = per_op(jit_off(histogram_observe_varied), N / 4),
    gets_10k = per_op(raw_gets, 20),
    render_10k = per_op(render, 20),
    render_bytes = #metrics.render(),
    render_series = metrics.lastRender.series,
  }
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
      console.log(`           interpreted: incr ${row.incr_interpreted.toFixed(1)}  counter.inc ${row.counter_inc_interpreted.toFixed(1)}  histogram.observe ${row.histogram_observe_interpreted.toFixed(1)}`);
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
    ["interpreted: histogram observe / raw incr", ratio("histogram_observe_interpreted", "incr_interpreted"), "<= 1"],
    ["interpreted: counter inc / raw incr", ratio("counter_inc_interpreted", "incr_interpreted"), "<= 0.333"],
    ["render 10,000 series / 10,000 raw gets", ratio("render_10k", "gets_10k"), "<= 10"],
  ];
  console.log(`\n  ${"ratio (median of rounds)".padEnd(44)} ${"value".padStart(8)}  goal`);
  for (const [name, value, goal] of lines) console.log(`  ${String(name).padEnd(44)} ${Number(value).toFixed(3).padStart(8)}  ${goal}`);
}

async function gateway() {
  await compare({
    title: "prometheus gateway",
    variants: {
      without: {},
      prometheus: { plugins: ["prometheus"], http: "lua_shared_dict resty_ts_metrics 16m;" },
    },
    baseline: "without",
  });
}

const only = process.argv[2];
if (only === undefined || only === "micro") await micro();
if (only === undefined || only === "gateway") await gateway();
