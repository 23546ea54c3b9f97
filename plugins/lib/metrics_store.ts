// The shared-dict side of the metrics registry: each worker's flush of its updates into
// `lua_shared_dict resty_ts_metrics`, and the exposition text rendered from the dict.
// The prometheus plugin calls `enable`, `startWorker`, `flush` and `render` (also re-exported by
// plugins/lib/metrics.ts).
import * as buffer from "string.buffer";
import * as text from "./exposition";
import { state, families, Kind, State, countError, refuse, type Family, type Series } from "./metrics_core";
import { seriesKeys, view, viewArg, DISC_LENGTH } from "./metrics_keys";

/** Name of the lua_shared_dict holding the metrics of all workers. */
export const DICT_NAME = "resty_ts_metrics";

/** Options of the registry, set by the prometheus plugin. */
export interface MetricsOptions {
  /** Series per metric (per family) beyond which new label sets are refused. */
  maxSeries: number;
  /** Seconds between flushes of each worker's updates to the shared dict. */
  syncInterval: number;
}

const huge = math.huge;
const ngxLog = ngx.log;
const ERR = ngx.ERR;
let sorted: Family[] = [];

/**
 * Turns the registry on (the prometheus plugin calls this when it loads). Returns nil and why
 * when `lua_shared_dict resty_ts_metrics` is missing; updates stay no-ops then.
 */
export function enable(this: void, options: MetricsOptions): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  state.maxSeries = options.maxSeries;
  state.syncInterval = options.syncInterval;
  state.dict = ngx.shared[DICT_NAME];
  if (state.dict === undefined) {
    state.active = false;
    return $multi(undefined, `lua_shared_dict ${DICT_NAME} is not configured`);
  }
  state.active = true;
  return $multi(true, undefined);
}

/** Whether updates are recorded (the prometheus plugin enabled the registry). */
export function enabled(this: void): boolean {
  return state.active;
}

let lastFullLog = -huge;

function dictFull(this: void, err: string | undefined): void {
  countError("dict_full");
  const now = ngx.now();
  if (now - lastFullLog >= 60) {
    lastFullLog = now;
    ngxLog(ERR, `resty-ts: metrics: lua_shared_dict ${DICT_NAME} is full (${tostring(err)}): new series and updates are dropped; make it larger (logged at most once a minute)`);
  }
}

/** Puts a series in the shared index (once, by whichever worker adds its first key). */
function registerSeries(this: void, shared: NgxSharedDict<number | string>, f: Family, series: Series): boolean {
  const keys = series.keys;
  if (!f.countReady) {
    const [ok, err] = shared.safe_add(f.countKey, 0);
    if (!ok && err !== "exists") {
      dictFull(err);
      return false;
    }
    f.countReady = true;
  }
  const [added, addError] = shared.safe_add(keys[0], 0);
  if (added) {
    const [index] = shared.incr(f.countKey, 1);
    if (index === undefined || (!f.internal && index > state.maxSeries)) {
      shared.delete(keys[0]);
      series.state = State.Refused;
      refuse(f);
      return false;
    }
    const [stored, storeError] = shared.safe_set(`${f.indexPrefix}${index}`, series.id);
    if (!stored) {
      shared.delete(keys[0]);
      dictFull(storeError);
      return false;
    }
  } else if (addError !== "exists") {
    dictFull(addError);
    return false;
  }
  for (let i = 1; i < keys.length; i++) {
    const [ok, err] = shared.safe_add(keys[i], 0);
    if (!ok && err !== "exists") {
      dictFull(err);
      return false;
    }
  }
  series.state = State.Registered;
  return true;
}

/** Adds `delta` to a registered key; false when the key vanished (then it registers again). */
function add(this: void, shared: NgxSharedDict<number | string>, series: Series, key: string, delta: number): boolean {
  const [value] = shared.incr(key, delta);
  if (value !== undefined) return true;
  series.state = State.New;
  return false;
}

function flushSeries(this: void, shared: NgxSharedDict<number | string>, f: Family, series: Series): void {
  if (series.state === State.Refused) return;
  const kind = f.kind;
  if (kind === Kind.Histogram) {
    const counts = series.counts as number[];
    let total = 0;
    for (const count of counts) total += count;
    // A new series is stored with its first observation (internal ones at once, to show 0).
    if (total === 0 && (series.state === State.Registered || !f.internal)) return;
    if (series.state === State.New && !registerSeries(shared, f, series)) return;
    if (total === 0) return;
    const keys = series.keys;
    // The dict holds cumulative buckets, so rendering is a plain read.
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i];
      if (cumulative > 0 && !add(shared, series, keys[i], cumulative)) return;
      counts[i] = 0;
    }
    const last = counts.length;
    if (!add(shared, series, keys[last], series.delta)) return;
    series.delta = 0;
    add(shared, series, keys[last + 1], total);
    return;
  }
  if (series.delta === 0 && !series.hasValue && (series.state === State.Registered || !f.internal)) return;
  if (series.state === State.New && !registerSeries(shared, f, series)) return;
  if (series.hasValue) {
    const [ok, err] = shared.safe_set(series.keys[0], series.value + series.delta);
    if (!ok) return dictFull(err);
    series.hasValue = false;
    series.delta = 0;
  } else if (series.delta !== 0 && add(shared, series, series.keys[0], series.delta)) {
    series.delta = 0;
  }
}

/**
 * Writes this worker's pending updates to the shared dict. Runs from the sync timer, before a
 * scrape renders, and when the worker exits. Never throws on a full dict (counts and logs it).
 */
export function flush(this: void): void {
  const shared = state.dict;
  if (!state.active || shared === undefined) return;
  for (const f of families) {
    for (const series of f.series) flushSeries(shared, f, series);
  }
}

function onTimer(this: void, _premature: boolean): void {
  // A premature run is the worker exiting gracefully: flushing is exactly what is needed then.
  flush();
}

/**
 * Starts this worker's flush timer (call it in init_worker). The first flush runs at once so
 * every registered series, the error counter included, appears from the start.
 */
export function startWorker(this: void): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  if (!state.active) return $multi(undefined, "metrics are not enabled");
  ngx.timer.at(0, onTimer);
  const [ok, err] = ngx.timer.every(state.syncInterval, onTimer);
  if (!ok) return $multi(undefined, `cannot start the metrics flush timer: ${tostring(err)}`);
  return $multi(true, undefined);
}

function byName(this: void, a: Family, b: Family): boolean {
  return a.name < b.name;
}

const output = buffer.new();

/** Statistics of the last render, for tests and benchmarks. */
export const lastRender = { families: 0, series: 0, lines: 0 };

/**
 * The exposition text (format 0.0.4) of every series in the shared dict, for the families this
 * worker registered, sorted by family name, series in the order they were first stored.
 * Flushes this worker first. Empty when the registry is not enabled.
 */
export function render(this: void): string {
  const shared = state.dict;
  if (!state.active || shared === undefined) return "";
  flush();
  if (sorted.length !== families.length) {
    sorted = [];
    for (const f of families) sorted.push(f);
    table.sort(sorted, byName);
  }
  const out = output;
  out.reset();
  let lines = 0;
  let seriesCount = 0;
  for (const f of sorted) {
    out.put(f.header);
    const [stored] = shared.get(f.countKey);
    let count = type(stored) === "number" ? (stored as number) : 0;
    if (!f.internal && count > state.maxSeries) count = state.maxSeries;
    const rendered = f.rendered;
    for (let i = 0; i < count; i++) {
      let entry = rendered[i];
      if (entry === undefined || entry === false) {
        const [id] = shared.get(`${f.indexPrefix}${i + 1}`);
        entry = type(id) === "string" && (id as string).length >= DISC_LENGTH ? seriesKeys(f, id as string) : false;
        rendered[i] = entry;
        if (entry === false) continue;
      }
      seriesCount++;
      const keys = entry;
      for (let j = 0; j < keys.length; j++) {
        const seriesKey = keys[j];
        const [value] = shared.get(seriesKey);
        if (value !== undefined) {
          view.set(seriesKey);
          view.skip(DISC_LENGTH);
          const v = value as number;
          // Finite numbers as Lua prints them (%.14g); the rest as the format spells them.
          if (v === v && v !== huge && v !== -huge) out.put(viewArg(), " ", v, "\n");
          else out.put(viewArg(), " ", text.sampleValue(v), "\n");
          lines++;
        }
      }
    }
  }
  lastRender.families = sorted.length;
  lastRender.series = seriesCount;
  lastRender.lines = lines;
  const body = out.tostring();
  out.reset();
  return body;
}

/** The families registered in this worker, by name (for tests). */
export function registeredNames(this: void): string[] {
  const names: string[] = [];
  for (const f of families) names.push(f.name);
  return names;
}
