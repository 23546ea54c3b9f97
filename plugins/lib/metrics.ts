// Typed Prometheus metrics for every plugin: counters, gauges and histograms with label names.
//
// One registry per worker (metrics_core.ts). The request path only touches worker-local
// tables: a label set is found by walking a small tree keyed by the label values (no string is
// built when the labels repeat), and the update adds to numbers in that series. A timer flushes
// the local deltas to `lua_shared_dict resty_ts_metrics` every sync interval; a scrape flushes
// the serving worker and renders every series in the dict, whichever worker or plugin made it
// (metrics_store.ts).
//
// The prometheus plugin enables the registry (`enable` at module load, `startWorker` in
// init_worker). Without it every update returns at once: other plugins may register and update
// metrics unconditionally.
//
// Register metrics when your module loads (or in init_worker), in every worker alike: a scrape
// renders the families its own worker registered.
import { register, treeGet, countError, INERT, Kind, type LabelValue, type ErrorReason, type Node } from "./metrics_core";

export { MAX_LABELS, ERRORS_NAME, REFUSED_NAME, type LabelValue, type ErrorReason } from "./metrics_core";
export { DICT_NAME, enable, enabled, startWorker, flush, render, lastRender, registeredNames, type MetricsOptions } from "./metrics_store";

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

/** Counts one error of this reason in the error counter (for plugins reporting their own). */
export function error(this: void, reason: ErrorReason): void {
  countError(reason);
}
