// The metrics registry of one worker (plugins/lib/metrics.ts is its public face): families, their
// label trees and series, the update methods (the request path), and registration.
// Series ids and dict keys: plugins/lib/metrics_keys.ts. The shared-dict side (flush, render):
// plugins/lib/metrics_store.ts.
import * as text from "./exposition";
import { seriesKeys, seriesId, hex } from "./metrics_keys";
import { bisectSource } from "./bisect";

declare global {
  interface SharedDictSchemas {
    /** Metric series (numbers) and the series index (strings), see plugins/lib/metrics.ts. */
    resty_ts_metrics: number | string;
  }
}

/** A label value; nil (an unset nginx variable) counts as "". */
export type LabelValue = string | number | undefined;

/** Most label names a metric may have. */
export const MAX_LABELS = 8;

// ---------------------------------------------------------------------------------------------
// Registry state (per worker)

export const enum Kind { Counter, Gauge, Histogram }
export const enum State { New, Registered, Refused }

/** A level of a label tree: label value -> next level, or the cached value at the last level. */
export type Node = LuaTable<string | number, unknown>;

/** What a label tree needs: shared by families (which cache their series) and `labelTree`. */
export interface Tree {
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
export interface Series {
  readonly family: Family;
  /** The series id, see `seriesId` (also its index entry in the dict). */
  readonly id: string;
  /** Dict keys: the series name, or for histograms each bucket, then _sum and _count. */
  readonly keys: string[];
  /** Histograms only: observations per bucket (not cumulative), +Inf last. */
  readonly counts?: number[];
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
export interface Family extends Tree {
  readonly name: string;
  readonly kind: Kind;
  readonly labelNames: string[];
  /** Histograms: upper bounds, increasing, without +Inf. */
  readonly bounds: number[];
  readonly boundCount: number;
  /** Histograms: adds one to the bucket of a value in a series' counts (see `bucketCode`). */
  readonly place: (this: void, counts: number[], value: number) => void;
  /** Histograms: the children's `observe` (see `bucketCode`). */
  readonly childObserve: unknown;
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


/** The registry's settings, set by `metrics_store.enable`. */
const state = {
  /** Whether updates are recorded (the prometheus plugin enabled the registry). */
  active: false,
  dict: undefined as NgxSharedDict<number | string> | undefined,
  /** Label sets per metric. */
  maxSeries: 10000,
  /** Seconds between flushes. */
  syncInterval: 1,
};
/** Every family registered in this worker, in registration order. */
const families: Family[] = [];
// Exported through locals, so the update methods read them as upvalues.
export { state, families };
const familiesByName = new LuaTable<string, Family>();
/** Names taken, including a histogram's `_bucket`, `_sum` and `_count`. */
const takenNames = new LuaTable<string, string>();

const huge = math.huge;
const crc32 = ngx.crc32_short;
const ngxLog = ngx.log;
const ERR = ngx.ERR;

// ---------------------------------------------------------------------------------------------
// Hot path: walk the label tree, then update the series in place

/** `walk`'s value meaning "return the series (or cached value), update nothing": no number is it. */
const FIND = {} as unknown as number;

/**
 * The one label-tree walk of every update and lookup: one table read per label, then (unless
 * `value` is FIND) a counter's add to its series' delta or a histogram's observation. Counters'
 * `inc` and histograms' `observe` are this function itself, so a counter update is one call.
 * The argument after the last label must be nil (too many labels); a nil label value counts
 * as "". A miss (new label set or wrong label count) goes to `miss`.
 */
function walk(this: Tree, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): unknown {
  const find = value === FIND;
  if (!find) {
    if (!state.active) return undefined;
    // NaN fails every comparison.
    if (!(value >= 0 && value < huge)) return countError("bad_value");
  }
  const n = this.labelCount;
  let node = this.root as Node | undefined;
  let next = a;
  if (n > 0) {
    node = (node as Node).get(a ?? "") as Node | undefined; next = b;
    if (n > 1 && node !== undefined) {
      node = node.get(b ?? "") as Node | undefined; next = c;
      if (n > 2 && node !== undefined) {
        node = node.get(c ?? "") as Node | undefined; next = d;
        if (n > 3 && node !== undefined) {
          node = node.get(d ?? "") as Node | undefined; next = e;
          if (n > 4 && node !== undefined) {
            node = node.get(e ?? "") as Node | undefined; next = g;
            if (n > 5 && node !== undefined) {
              node = node.get(g ?? "") as Node | undefined; next = h;
              if (n > 6 && node !== undefined) {
                node = node.get(h ?? "") as Node | undefined; next = k;
                if (n > 7 && node !== undefined) {
                  node = node.get(k ?? "") as Node | undefined; next = extra;
                }
              }
            }
          }
        }
      }
    }
  }
  if (node === undefined || next !== undefined) {
    node = miss(this, a, b, c, d, e, g, h, k, extra) as Node | undefined;
    if (node === undefined) return undefined;
  }
  if (find) return node;
  const series = node as unknown as Series;
  if (series.state === State.Refused) return refuse(series.family);
  series.delta += value;
  const counts = series.counts;
  if (counts !== undefined) series.family.place(counts, value);
  return undefined;
}

/** The series (or a label tree's value) of these label values; nil for a wrong label count. */
function lookup(this: void, t: Tree, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): unknown {
  return walk.call(t, FIND, a, b, c, d, e, g, h, k, extra);
}

function childCounterInc(this: Series, value: number): void {
  if (!state.active) return;
  if (!(value >= 0 && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.delta += value;
}

function childGaugeSet(this: Series, value: number): void {
  if (!state.active) return;
  if (!(value > -huge && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.value = value;
  this.hasValue = true;
  this.delta = 0;
}

function childGaugeInc(this: Series, value: number): void {
  if (!state.active) return;
  if (!(value > -huge && value < huge)) return countError("bad_value");
  if (this.state === State.Refused) return refuse(this.family);
  this.delta += value;
}

// Gauges (rarely per request) find the series, then update it as a child does.

function gaugeFamilyInc(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!state.active) return;
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series !== undefined) childGaugeInc.call(series, value);
}

function familySet(this: Family, value: number, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): void {
  if (!state.active) return;
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  if (series !== undefined) childGaugeSet.call(series, value);
}

function familyLabels(this: Family, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): Series {
  const series = lookup(this, a, b, c, d, e, g, h, k, extra) as Series | undefined;
  return series ?? (INERT_CHILD as unknown as Series);
}

export function treeGet(this: Tree, a?: LabelValue, b?: LabelValue, c?: LabelValue, d?: LabelValue,
  e?: LabelValue, g?: LabelValue, h?: LabelValue, k?: LabelValue, extra?: LabelValue): unknown {
  return walk.call(this, FIND, a, b, c, d, e, g, h, k, extra);
}

function noop(this: unknown): void {
  // An inert metric or child: its registration failed, or its labels were wrong (counted).
}

// ---------------------------------------------------------------------------------------------
// Slow path: a new label set

/** What `labels` returns for a wrong label count (counted when it happened). */
export const INERT_CHILD = { inc: noop, set: noop, observe: noop };

const CHILD_METHODS = [
  { inc: childCounterInc, set: noop, observe: noop },
  { inc: childGaugeInc, set: childGaugeSet, observe: noop },
  // Histograms: `observe` is the family's own (see `bucketCode`).
  { inc: noop, set: noop, observe: noop },
];

function makeSeries(this: void, f: Family, id: string, state: State): Series {
  let counts: number[] | undefined;
  if (f.kind === Kind.Histogram) {
    counts = [];
    for (let i = 0; i <= f.boundCount; i++) counts.push(0);
  }
  const methods = CHILD_METHODS[f.kind];
  return {
    family: f, id, keys: state === State.Refused ? [] : seriesKeys(f, id), counts,
    delta: 0, value: 0, hasValue: false, state,
    inc: methods.inc, set: methods.set, observe: f.kind === Kind.Histogram ? f.childObserve : methods.observe,
  };
}

function newSeries(this: void, f: Family, id: string): Series {
  const series = makeSeries(f, id, State.New);
  f.series.push(series);
  f.seriesById.set(id, series);
  return series;
}

/** A family's miss: the series of these label values, new unless escaping makes it an old one. */
export function addSeries(this: void, f: Family, a: LabelValue, b: LabelValue, c: LabelValue, d: LabelValue,
  e: LabelValue, g: LabelValue, h: LabelValue, k: LabelValue): Series | undefined {
  // At the cap a new label set is refused before any string is built for it.
  if (!f.internal && f.series.length >= state.maxSeries) return undefined;
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
  // Without labels the root is the value (a label tree's `make` may have given nil).
  if (t.labelCount === 0) return t.root;
  const f = t.family;
  // Past a family's cap the value is its refused child: updates to it count as refused.
  const value = f !== undefined ? addSeries(f, a, b, c, d, e, g, h, k) ?? f.refusedChild : (t.make as NonNullable<Tree["make"]>)(a, b, c, d, e, g, h, k);
  const limit = t.maxSize > 0 ? t.maxSize : f !== undefined && f.internal ? huge : 2 * state.maxSeries;
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

export function countError(this: void, reason: ErrorReason): void {
  const series = errorSeries.get(reason);
  if (series !== undefined) series.delta += 1;
}

function wrongLabelCount(this: void): undefined {
  countError("label_count");
  return undefined;
}

export function refuse(this: void, f: Family): void {
  const series = f.refused;
  if (series !== undefined) series.delta += 1;
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

/** Lua source adding one to `c`'s bucket of `v` (a Lua array, +Inf last). */
function placeSource(this: void, bounds: number[]): string {
  return bisectSource(bounds, "v", (index) => `c[${index + 1}] = c[${index + 1}] + 1`);
}

/** A histogram's bucket code: `place(counts, value)` and the children's `observe(value)`. */
interface BucketCode {
  place: (this: void, counts: number[], value: number) => void;
  observe: unknown;
}

/** Generated once per set of bounds (keyed by the search's source): families with the same buckets share it. */
const bucketCodes = new LuaTable<string, BucketCode>();

/**
 * Generates the bucket code for these bounds: a binary search with the bounds as constants, no
 * loop and no table read. A loop over `bounds` leaves a compiled trace at a different place for
 * each bucket (tens of ns per exit) and, shared by every histogram, is a polymorphic call that
 * LuaJIT cannot compile across; each histogram's children get their own `observe` instead.
 */
function bucketCode(this: void, bounds: number[]): BucketCode {
  // The search's source is the key: it holds every bound exactly (%.17g), where table.concat
  // would round them to 14 digits.
  const search = placeSource(bounds);
  const known = bucketCodes.get(search);
  if (known !== undefined) return known;
  const source = `local state, huge, countError, refuse, REFUSED = ...
local function place(c, v) ${search} end
local function observe(self, v)
  if not state.active then return end
  if not (v >= 0 and v < huge) then countError("bad_value") return end
  if self.state == REFUSED then refuse(self.family) return end
  self.delta = self.delta + v
  local c = self.counts
  ${search}
end
return place, observe`;
  const [chunk] = loadstring(source, "=metrics.buckets");
  const [place, observe] = (chunk as unknown as (this: void, ...args: unknown[]) => LuaMultiReturn<[BucketCode["place"], unknown]>)(
    state, huge, countError, refuse, State.Refused);
  const code: BucketCode = { place, observe };
  bucketCodes.set(search, code);
  return code;
}

const TYPE_NAMES = ["counter", "gauge", "histogram"];
/** Not a histogram: no buckets (walk only places observations in histogram series). */
function noBuckets(this: void): void {
  // Nothing to count.
}
const NO_BUCKETS: BucketCode = { place: noBuckets, observe: noop };
export const INERT = { inc: noop, set: noop, observe: noop, labels: (): typeof INERT_CHILD => INERT_CHILD };
let refusedFamily: Family | undefined;

export function register(this: void, kind: Kind, name: string, help: string, labelNames: readonly string[], buckets: readonly number[], internal: boolean): Family | undefined {
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
  const code = kind === Kind.Histogram ? bucketCode(bounds) : NO_BUCKETS;
  const family: Family = {
    name, kind, labelNames: names, labelCount: names.length, bounds, boundCount: bounds.length,
    place: code.place, childObserve: code.observe,
    header: `# HELP ${name} ${text.helpText(help)}\n# TYPE ${name} ${TYPE_NAMES[kind]}\n`,
    internal, root: new LuaTable(), size: 0, maxSize: 0, series: [], seriesById: new LuaTable(),
    countKey: `#n:${name}:${hex(layout)}`, indexPrefix: `#k:${name}:${hex(layout)}:`, layout, countReady: false, rendered: [],
    inc: kind === Kind.Counter ? walk : kind === Kind.Gauge ? gaugeFamilyInc : noop,
    set: kind === Kind.Gauge ? familySet : noop,
    observe: kind === Kind.Histogram ? walk : noop,
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
  if (refusedFamily !== undefined && !internal) family.refused = addSeries(refusedFamily, name, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  return family;
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

