// Typed Prometheus metrics for every plugin: counters, gauges and histograms with label names.
//
// One registry per worker (this module's state). The request path only touches worker-local
// tables: a label set is found by walking a small tree keyed by the label values (no string is
// built when the labels repeat), and the update adds to numbers in that series. A timer flushes
// the local deltas to `lua_shared_dict resty_ts_metrics` every sync interval; a scrape flushes
// the serving worker and renders every series in the dict, whichever worker or plugin made it.
//
// The prometheus plugin enables the registry (`enable` at module load, `startWorker` in
// init_worker). Without it every update returns at once: other plugins may register and update
// metrics unconditionally.
//
// Register metrics when your module loads (or in init_worker), in every worker alike: a scrape
// renders the families its own worker registered.
import * as buffer from "string.buffer";
import * as text from "./exposition";

declare global {
  interface SharedDictSchemas {
    /** Metric series (numbers) and the series index (strings), see plugins/lib/metrics.ts. */
    resty_ts_metrics: number | string;
  }
}

/** Name of the lua_shared_dict holding the metrics of all workers. */
export const DICT_NAME = "resty_ts_metrics";

/** A label value; nil (an unset nginx variable) counts as "". */
export type LabelValue = string | number | undefined;

/** The label values of a metric, one per label name in order: `["GET", 200]` for `["method", "status"]`. */
export type LabelValues<L extends readonly string[]> = { -readonly [K in keyof L]: LabelValue };

/** One series of a counter (see `Counter.labels`). */
export interface CounterChild {
  /** Adds `value` (finite, >= 0; others count as errors). */
  inc(value: number): void;
}

/** One series of a gauge (see `Gauge.labels`). */
export interface GaugeChild {
  /** Sets the value (finite). */
  set(value: number): void;
  /** Adds `value` (finite, may be negative). */
  inc(value: number): void;
}

/** One series of a histogram (see `Histogram.labels`). */
export interface HistogramChild {
  /** Records one observation (finite, >= 0; others count as errors). */
  observe(value: number): void;
}

/** A counter: a total that only goes up. */
export interface Counter<L extends readonly string[] = []> {
  /** Adds `value` (finite, >= 0; others count as errors) to the series of these label values. */
  inc(value: number, ...labels: LabelValues<L>): void;
  /**
   * The series of these label values, to update it again without finding it (keep it: it
   * stays valid; past the series cap it is one that counts refusals).
   */
  labels(...labels: LabelValues<L>): CounterChild;
}

/** A gauge: a value that goes up and down. The last `set` in any worker wins. */
export interface Gauge<L extends readonly string[] = []> {
  /** Sets the series of these label values to `value` (finite). */
  set(value: number, ...labels: LabelValues<L>): void;
  /** Adds `value` (finite, may be negative) to the series of these label values. */
  inc(value: number, ...labels: LabelValues<L>): void;
  /** The series of these label values; see `Counter.labels`. */
  labels(...labels: LabelValues<L>): GaugeChild;
}

/** A histogram: counts of observations per bucket, their sum and count. */
export interface Histogram<L extends readonly string[] = []> {
  /** Records one observation (finite, >= 0; others count as errors) for these label values. */
  observe(value: number, ...labels: LabelValues<L>): void;
  /** The series of these label values; see `Counter.labels`. */
  labels(...labels: LabelValues<L>): HistogramChild;
}

/**
 * A per-worker cache from label values to a value built once per label set (for instance the
 * children of several metrics with the same labels, found with one lookup per request).
 */
export interface LabelTree<L extends readonly string[], T> {
  /** The value for these label values, built by the tree's `make` when new (nil when it returns nil). */
  get(...labels: LabelValues<L>): T | undefined;
}

/** Prometheus' default buckets, for durations in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Most label names a metric may have. */
export const MAX_LABELS = 8;

/** Options of the registry, set by the prometheus plugin. */
export interface MetricsOptions {
  /** Series per metric (per family) beyond which new label sets are refused. */
  maxSeries: number;
  /** Seconds between flushes of each worker's updates to the shared dict. */
  syncInterval: number;
}

// ---------------------------------------------------------------------------------------------
// Registry state (per worker)

const enum Kind { Counter, Gauge, Histogram }
const enum State { New, Registered, Refused }

/** A level of a label tree: label value -> next level, or the cached value at the last level. */
type Node = LuaTable<string | number, unknown>;

/** What a label tree needs: shared by families (which cache their series) and `labelTree`. */
interface Tree {
  readonly labelCount: number;
  /** The first level; for a tree without labels, the one value itself. */
  root: Node;
  /** Leaves linked so far, and how many may be (0: twice maxSeries, for families). */
  size: number;
  readonly maxSize: number;
  /** Set for families: misses create series. */
  readonly family?: Family;
  /** Set for `labelTree`: misses call it. */
  readonly make?: (this: void, a: LabelValue, b: LabelValue, c: LabelValue, d: LabelValue,
    e: LabelValue, g: LabelValue, h: LabelValue, k: LabelValue) => unknown;
}

/** One label set of one family: its dict keys and the updates not yet flushed. Also the child. */
interface Series {
  readonly family: Family;
  /** The series id, see `seriesId` (also its index entry in the dict). */
  readonly id: string;
  /** Dict keys: the series name, or for histograms each bucket, then _sum and _count. */
  readonly keys: string[];
  /** Histograms: observations per bucket (not cumulative), +Inf last. */
  readonly counts: number[];
  /** Counters and gauges: the increment to flush; histograms: the sum of observations. */
  delta: number;
  /** Gauges: the value last set, when `hasValue`. */
  value: number;
  hasValue: boolean;
  state: State;
  readonly inc: unknown;
  readonly set: unknown;
  readonly observe: unknown;
}

/** A metric with its label names: what `counter`, `gauge` and `histogram` return. */
interface Family extends Tree {
  readonly name: string;
  readonly kind: Kind;
  readonly labelNames: string[];
  /** Histograms: upper bounds, increasing, without +Inf. */
  readonly bounds: number[];
  readonly boundCount: number;
  /** `# HELP` and `# TYPE` lines. */
  readonly header: string;
  /** Internal families are not capped (their label sets are fixed). */
  readonly internal: boolean;
  series: Series[];
  seriesById: LuaTable<string, Series>;
  /** Dict key of the number of indexed series, and prefix of the index entries. */
  readonly countKey: string;
  readonly indexPrefix: string;
  /**
   * Hash of the label names and buckets: it seeds the series ids and names the index, so after
   * a reload that changes them the old series (other buckets, other labels) are left aside
   * instead of mixing with the new ones.
   */
  readonly layout: number;
  countReady: boolean;
  /** This worker's refused-series counter for this family. */
  refused?: Series;
  /** The child `labels` returns past the cap: its updates count as refused. */
  refusedChild?: Series;
  /** Render cache: per index, the series' dict keys; false while the index entry is missing. */
  rendered: (string[] | false)[];
  readonly inc: unknown;
  readonly set: unknown;
  readonly observe: unknown;
  readonly labels: unknown;
}


let active = false;
let dict: NgxSharedDict<number | string> | undefined;
let maxSeries = 10000;
let syncInterval = 1;
const families: Family[] = [];
const familiesByName = new LuaTable<string, Family>();
/** Names taken, including a histogram's `_bucket`, `_sum` and `_count`. */
const takenNames = new LuaTable<string, string>();
let sorted: Family[] | undefined;

const huge = math.huge;
const ngxLog = ngx.log;
const ERR = ngx.ERR;

// ---------------------------------------------------------------------------------------------
// Hot path: find the value of a label set

/**
 * The value cached for label values `a`..`k`; a miss builds it. Levels are walked only as deep
 * as the label count, and a value right after the last label must be nil (too many labels).
 */
function lookup(this: void, t: Tree, a: LabelValue, b: LabelValue, c: LabelValue, d: LabelValue,
  e: LabelValue, g: LabelValue, h: LabelValue, k: LabelValue, extra: LabelValue): unknown {
  const n = t.labelCount;
  if (n === 0) return a === undefined ? t.root : wrongLabelCount();
  let node = t.root.get(a ?? "") as Node | undefined;
  if (n === 1) return b !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(b ?? "") as Node | undefined;
  if (n === 2) return c !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(c ?? "") as Node | undefined;
  if (n === 3) return d !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(d ?? "") as Node | undefined;
  if (n === 4) return e !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(e ?? "") as Node | undefined;
  if (n === 5) return g !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(g ?? "") as Node | undefined;
  if (n === 6) return h !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(h ?? "") as Node | undefined;
  if (n === 7) return k !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
  if (node !== undefined) node = node.get(k ?? "") as Node | undefined;
  return extra !== undefined ? wrongLabelCount() : node ?? miss(t, a, b, c, d, e, g, h, k, extra);
}

function childCounterInc(this: Series, value: number): void {
  if (!active) return;
  // NaN fails every comparison.
  if (!(value >= 0 && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.delta += value;
}

function childGaugeSet(this: Series, value: number): void {
  if (!active) return;
  if (!(value > -huge && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.value = value;
  this.hasValue = true;
  this.delta = 0;
}

function childGaugeInc(this: Series, value: number): void {
  if (!active) return;
  if (!(value > -huge && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.delta += value;
}

function childObserve(this: Series, value: number): void {
  if (!active) return;
  if (!(value >= 0 && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.delta += value;
  const f = this.family;
  const bounds = f.bounds;
  const counts = this.counts;
  const last = f.boundCount;
  for (let i = 0; i < last; i++) {
    if (value <= bounds[i]) {
      counts[i]++;
      return;
    }
  }
  counts[last]++;
}

// The family methods find the series, then update it as a child does.

// Counters update in place: one call less for the commonest update.
function counterFamilyInc(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!active) return;
  if (!(value >= 0 && value < huge)) return countError("bad_value");
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series === undefined) return;
  if (series.state === State.Refused) return refuse(this);
  series.delta += value;
}

function gaugeFamilyInc(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!active) return;
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series !== undefined) childGaugeInc.call(series, value);
}

function familySet(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!active) return;
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series !== undefined) childGaugeSet.call(series, value);
}

function familyObserve(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!active) return;
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series !== undefined) childObserve.call(series, value);
}

function familyLabels(this: Family, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): Series {
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  return series ?? (INERT_CHILD as unknown as Series);
}

function treeGet(this: Tree, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): unknown {
  return lookup(this, a, b, c, d, e, g, h, k, extra);
}

function noop(this: unknown): void {
  // An inert metric or child: its registration failed, or its labels were wrong (counted).
}

// ---------------------------------------------------------------------------------------------
// Slow path: a new label set

/** What `labels` returns for a wrong label count (counted when it happened). */
const INERT_CHILD = { inc: noop, set: noop, observe: noop };

const CHILD_METHODS = [
  { inc: childCounterInc, set: noop, observe: noop },
  { inc: childGaugeInc, set: childGaugeSet, observe: noop },
  { inc: noop, set: noop, observe: childObserve },
];

// Series strings start with DISC_LENGTH hex digits hashed from the label values, and the
// exposition text follows. LuaJIT (2.1-beta3) hashes a long string from 4 samples of it, so
// thousands of keys that differ only mid-string (`...,host="a1.example.com",le="0.5"}`) would
// share one hash chain and make every new string cost O(n); the leading digits spread them.
// The bare exposition text is never made a Lua string: a buffer view skips the digits.
const DISC_LENGTH = 8;
const builder = buffer.new();
const view = buffer.new();
const crc32 = ngx.crc32_short;

function hex(this: void, value: number): string {
  return string.format("%08x", value);
}

/** `view` as a buffer's argument: `put` appends another buffer's contents. */
function viewArg(this: void): string {
  return view as unknown as string;
}

/** The dict key: the digits, then `name{pairs[,extra]}` (braces only when there is a pair). */
function key(this: void, disc: string, name: string, hasPairs: boolean, extra: string | undefined): string {
  builder.reset();
  builder.put(disc, name);
  if (hasPairs || extra !== undefined) builder.put("{");
  if (hasPairs) builder.put(viewArg());
  if (hasPairs && extra !== undefined) builder.put(",");
  if (extra !== undefined) builder.put(extra);
  if (hasPairs || extra !== undefined) builder.put("}");
  return builder.tostring();
}

/**
 * Dict keys of a series from its id (digits + label pairs): its name, or for a histogram each
 * bucket, then _sum and _count.
 */
function seriesKeys(this: void, f: Family, id: string): string[] {
  const disc = string.sub(id, 1, DISC_LENGTH);
  const hasPairs = id.length > DISC_LENGTH;
  view.set(id);
  view.skip(DISC_LENGTH);
  const keys: string[] = [];
  if (f.kind === Kind.Histogram) {
    const bucketName = `${f.name}_bucket`;
    for (let i = 0; i <= f.boundCount; i++) {
      const bound = i < f.boundCount ? text.bucketBound(f.bounds[i]) : "+Inf";
      keys.push(key(disc, bucketName, hasPairs, `le="${bound}"`));
    }
    keys.push(key(disc, `${f.name}_sum`, hasPairs, undefined));
    keys.push(key(disc, `${f.name}_count`, hasPairs, undefined));
  } else {
    keys.push(key(disc, f.name, hasPairs, undefined));
  }
  return keys;
}

/** A series id: hex digits hashed from the escaped values, then `a="x",b="y"`. */
function seriesId(this: void, layout: number, names: string[], escaped: string[]): string {
  let hash = layout;
  for (const value of escaped) hash = (hash * 31 + crc32(value)) % 4294967296;
  builder.reset();
  builder.putf("%08x", hash);
  for (let i = 0; i < escaped.length; i++) {
    if (i > 0) builder.put(",");
    builder.put(names[i], '="', escaped[i], '"');
  }
  return builder.tostring();
}

function makeSeries(this: void, f: Family, id: string, state: State): Series {
  const counts: number[] = [];
  if (f.kind === Kind.Histogram) for (let i = 0; i <= f.boundCount; i++) counts.push(0);
  const methods = CHILD_METHODS[f.kind];
  return {
    family: f, id, keys: state === State.Refused ? [] : seriesKeys(f, id), counts,
    delta: 0, value: 0, hasValue: false, state,
    inc: methods.inc, set: methods.set, observe: methods.observe,
  };
}

function newSeries(this: void, f: Family, id: string): Series {
  const series = makeSeries(f, id, State.New);
  f.series.push(series);
  f.seriesById.set(id, series);
  return series;
}

/** A family's miss: the series of these label values, new unless escaping makes it an old one. */
function addSeries(this: void, f: Family, a: LabelValue, b: LabelValue, c: LabelValue, d: LabelValue,
  e: LabelValue, g: LabelValue, h: LabelValue, k: LabelValue): Series | undefined {
  // At the cap a new label set is refused before any string is built for it.
  if (!f.internal && f.series.length >= maxSeries) return undefined;
  const n = f.labelCount;
  const escaped: string[] = [];
  if (n >= 1) escaped.push(text.labelValue(a));
  if (n >= 2) escaped.push(text.labelValue(b));
  if (n >= 3) escaped.push(text.labelValue(c));
  if (n >= 4) escaped.push(text.labelValue(d));
  if (n >= 5) escaped.push(text.labelValue(e));
  if (n >= 6) escaped.push(text.labelValue(g));
  if (n >= 7) escaped.push(text.labelValue(h));
  if (n >= 8) escaped.push(text.labelValue(k));
  const id = seriesId(f.layout, f.labelNames, escaped);
  // Values that differ only in what escaping changes (cut, invalid UTF-8) share one series.
  return f.seriesById.get(id) ?? newSeries(f, id);
}

/** A miss in any tree: build the value, then link it under its label values (up to the size cap). */
function miss(this: void, t: Tree, a: LabelValue, b: LabelValue, c: LabelValue, d: LabelValue,
  e: LabelValue, g: LabelValue, h: LabelValue, k: LabelValue, extra: LabelValue): unknown {
  // The value after the last label must be nil (the hit path checks the same).
  if (select(t.labelCount + 1, a, b, c, d, e, g, h, k, extra)[0] !== undefined) return wrongLabelCount();
  const f = t.family;
  // Past a family's cap the value is its refused child: updates to it count as refused.
  const value = f !== undefined ? addSeries(f, a, b, c, d, e, g, h, k) ?? f.refusedChild : (t.make as NonNullable<Tree["make"]>)(a, b, c, d, e, g, h, k);
  const limit = t.maxSize > 0 ? t.maxSize : f !== undefined && f.internal ? huge : 2 * maxSeries;
  if (value === undefined || t.size >= limit || (f !== undefined && value === f.refusedChild)) return value;
  const raw: LabelValue[] = [a ?? "", b ?? "", c ?? "", d ?? "", e ?? "", g ?? "", h ?? "", k ?? ""];
  const n = t.labelCount;
  let node = t.root;
  for (let i = 0; i < n - 1; i++) {
    const key = raw[i] as string | number;
    let child = node.get(key) as Node | undefined;
    if (child === undefined) {
      child = new LuaTable();
      node.set(key, child);
    }
    node = child;
  }
  node.set(raw[n - 1] as string | number, value);
  t.size++;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Errors and refusals: internal counters, also flushed to the dict (never reset)

/** Why an update or a flush failed, as the `reason` label of the error counter. */
export type ErrorReason = "bad_value" | "label_count" | "dict_full" | "registration";

const errorSeries = new LuaTable<string, Series>();

function countError(this: void, reason: ErrorReason): void {
  const series = errorSeries.get(reason);
  if (series !== undefined) series.delta += 1;
}

function wrongLabelCount(this: void): undefined {
  countError("label_count");
  return undefined;
}

function refuse(this: void, f: Family): void {
  const series = f.refused;
  if (series !== undefined) series.delta += 1;
}

/** Counts one error of this reason in the error counter (for plugins reporting their own). */
export function error(this: void, reason: ErrorReason): void {
  countError(reason);
}

/**
 * A per-worker cache from label values to `make(...labels)`, built once per label set and kept
 * (at most `maxSize` label sets; past that `make` runs on every miss). Lookups cost one table
 * read per label, like a metric update. Wrong label counts count as errors and give nil.
 */
export function labelTree<const L extends readonly string[], T>(this: void, labelNames: L,
  make: (this: void, ...labels: LabelValues<L>) => T | undefined, maxSize: number): LabelTree<L, T> {
  const tree = { labelCount: labelNames.length, root: new LuaTable() as Node, size: 0, maxSize: math.max(maxSize, 1), make, get: treeGet };
  if (labelNames.length === 0) tree.root = (make as unknown as (this: void) => unknown)() as Node;
  return tree as unknown as LabelTree<L, T>;
}

// ---------------------------------------------------------------------------------------------
// Registration

function validBuckets(this: void, buckets: readonly number[]): string | undefined {
  if (type(buckets) !== "table" || buckets.length === 0) return "buckets must be a non-empty list of numbers";
  for (let i = 0; i < buckets.length; i++) {
    const bound = buckets[i];
    if (type(bound) !== "number" || !(bound > -huge && bound < huge)) return "buckets must be finite numbers";
    if (i > 0 && !(bound > buckets[i - 1])) return "buckets must increase";
  }
  return undefined;
}

function problemWith(this: void, kind: Kind, name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): string | undefined {
  if (!text.isMetricName(name)) return "the name must match [a-zA-Z_:][a-zA-Z0-9_:]*";
  if (type(help) !== "string") return "the help text must be a string";
  if (type(labelNames) !== "table") return "the label names must be a list";
  if (labelNames.length > MAX_LABELS) return `at most ${MAX_LABELS} labels`;
  const seen = new LuaTable<string, boolean>();
  for (const label of labelNames) {
    if (!text.isLabelName(label)) return `label "${tostring(label)}" must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __`;
    if (seen.get(label)) return `label "${label}" is listed twice`;
    if (kind === Kind.Histogram && label === "le") return `label "le" is reserved for histogram buckets`;
    seen.set(label, true);
  }
  if (kind === Kind.Histogram) return validBuckets(buckets);
  return undefined;
}

function sameShape(this: void, f: Family, kind: Kind, labelNames: readonly string[], buckets: readonly number[]): boolean {
  if (f.kind !== kind || f.labelCount !== labelNames.length) return false;
  for (let i = 0; i < labelNames.length; i++) if (f.labelNames[i] !== labelNames[i]) return false;
  if (kind !== Kind.Histogram) return true;
  if (f.boundCount !== buckets.length) return false;
  for (let i = 0; i < buckets.length; i++) if (f.bounds[i] !== buckets[i]) return false;
  return true;
}

const TYPE_NAMES = ["counter", "gauge", "histogram"];
const INERT = { inc: noop, set: noop, observe: noop, labels: (): typeof INERT_CHILD => INERT_CHILD };
let refusedFamily: Family | undefined;

function register(this: void, kind: Kind, name: string, help: string, labelNames: readonly string[], buckets: readonly number[], internal: boolean): Family | undefined {
  const problem = problemWith(kind, name, help, labelNames, buckets);
  const existing = familiesByName.get(name);
  let message = problem;
  if (message === undefined && existing !== undefined && !sameShape(existing, kind, labelNames, buckets)) {
    message = "already registered with another type, labels or buckets";
  } else if (message === undefined && existing === undefined && takenNames.get(name) !== undefined) {
    message = `the name is taken by ${takenNames.get(name)}`;
  }
  if (message !== undefined) {
    ngxLog(ERR, `resty-ts: metrics: cannot register ${TYPE_NAMES[kind]} "${tostring(name)}": ${message}`);
    countError("registration");
    return undefined;
  }
  if (existing !== undefined) return existing;
  const bounds: number[] = [];
  if (kind === Kind.Histogram) for (const bound of buckets) bounds.push(bound);
  const names: string[] = [];
  for (const label of labelNames) names.push(label);
  const layout = crc32(`${kind}|${table.concat(names, ",")}|${table.concat(bounds, ",")}`);
  const family: Family = {
    name, kind, labelNames: names, labelCount: names.length, bounds, boundCount: bounds.length,
    header: `# HELP ${name} ${text.helpText(help)}\n# TYPE ${name} ${TYPE_NAMES[kind]}\n`,
    internal, root: new LuaTable(), size: 0, maxSize: 0, series: [], seriesById: new LuaTable(),
    countKey: `#n:${name}:${hex(layout)}`, indexPrefix: `#k:${name}:${hex(layout)}:`, layout, countReady: false, rendered: [],
    inc: kind === Kind.Counter ? counterFamilyInc : kind === Kind.Gauge ? gaugeFamilyInc : noop,
    set: kind === Kind.Gauge ? familySet : noop,
    observe: kind === Kind.Histogram ? familyObserve : noop,
    labels: familyLabels,
  };
  (family as { family?: Family }).family = family;
  family.refusedChild = makeSeries(family, "", State.Refused);
  if (names.length === 0) family.root = newSeries(family, seriesId(layout, [], [])) as unknown as Node;
  families.push(family);
  familiesByName.set(name, family);
  takenNames.set(name, name);
  if (kind === Kind.Histogram) {
    for (const suffix of ["_bucket", "_sum", "_count"]) takenNames.set(`${name}${suffix}`, name);
  }
  sorted = undefined;
  if (refusedFamily !== undefined && !internal) family.refused = addSeries(refusedFamily, name, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  return family;
}

/**
 * Registers (or returns the already registered) counter `name` with these label names
 * (at most 8). A bad name or a clash logs one ERR line and returns a metric that does nothing.
 * Call it when your module loads; `inc` then takes exactly one value per label name:
 * `const hits = counter("my_hits_total", "Hits.", ["host"]); hits.inc(1, host)`.
 */
export function counter<const L extends readonly string[]>(this: void, name: string, help: string, labelNames: L): Counter<L> {
  return (register(Kind.Counter, name, help, labelNames, [], false) ?? INERT) as unknown as Counter<L>;
}

/** Registers a gauge; see `counter`. */
export function gauge<const L extends readonly string[]>(this: void, name: string, help: string, labelNames: L): Gauge<L> {
  return (register(Kind.Gauge, name, help, labelNames, [], false) ?? INERT) as unknown as Gauge<L>;
}

/**
 * Registers a histogram; see `counter`. `buckets` are the upper bounds, increasing and finite
 * (+Inf is added); DEFAULT_BUCKETS when absent. The label name `le` is reserved.
 */
export function histogram<const L extends readonly string[]>(this: void, name: string, help: string, labelNames: L, buckets: readonly number[] = DEFAULT_BUCKETS): Histogram<L> {
  return (register(Kind.Histogram, name, help, labelNames, buckets, false) ?? INERT) as unknown as Histogram<L>;
}

/** Name of the error counter (label `reason`). */
export const ERRORS_NAME = "resty_ts_metrics_errors_total";
/** Name of the counter of updates refused by the series cap (label `metric`). */
export const REFUSED_NAME = "resty_ts_metrics_series_refused_total";

{
  const errors = register(Kind.Counter, ERRORS_NAME,
    "Metric updates and flushes that failed, by reason (bad_value, label_count, dict_full, registration).", ["reason"], [], true) as Family;
  for (const reason of ["bad_value", "label_count", "dict_full", "registration"]) {
    errorSeries.set(reason, addSeries(errors, reason, undefined, undefined, undefined, undefined, undefined, undefined, undefined) as Series);
  }
  refusedFamily = register(Kind.Counter, REFUSED_NAME,
    "Updates to new label sets refused because the metric reached max_series.", ["metric"], [], true);

}

// ---------------------------------------------------------------------------------------------
// Enabling, flushing, rendering

/**
 * Turns the registry on (the prometheus plugin calls this when it loads). Returns nil and why
 * when `lua_shared_dict resty_ts_metrics` is missing; updates stay no-ops then.
 */
export function enable(this: void, options: MetricsOptions): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  maxSeries = options.maxSeries;
  syncInterval = options.syncInterval;
  dict = ngx.shared[DICT_NAME];
  if (dict === undefined) {
    active = false;
    return $multi(undefined, `lua_shared_dict ${DICT_NAME} is not configured`);
  }
  active = true;
  return $multi(true, undefined);
}

/** Whether updates are recorded (the prometheus plugin enabled the registry). */
export function enabled(this: void): boolean {
  return active;
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
    if (index === undefined || (!f.internal && index > maxSeries)) {
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
    const counts = series.counts;
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
  const shared = dict;
  if (!active || shared === undefined) return;
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
  if (!active) return $multi(undefined, "metrics are not enabled");
  ngx.timer.at(0, onTimer);
  const [ok, err] = ngx.timer.every(syncInterval, onTimer);
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
  const shared = dict;
  if (!active || shared === undefined) return "";
  flush();
  if (sorted === undefined) {
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
    if (!f.internal && count > maxSeries) count = maxSeries;
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
