// Entries a sink could not deliver: counted per worker (always) and exported as
// resty_ts_json_log_dropped_total{sink} through plugins/lib/metrics (when prometheus is enabled),
// and logged at most once a second with the count since the last line.
import * as metrics from "../lib/metrics";

const ngxLog = ngx.log;
const WARN = ngx.WARN;
const now = ngx.now;

const counter = metrics.counter("resty_ts_json_log_dropped_total",
  "Log entries the json_log plugin dropped: queue full, collector unreachable after retries, or file not writable.", ["sink"]);

let dropped = 0;
let logged = 0;
let lastLog = 0;
let lastReason = "";

/** Entries this worker dropped so far. */
export function count(this: void): number {
  return dropped;
}

/** Counts `entries` dropped by `sink` because of `reason` (the sinks' timers call `report`). */
export function drop(this: void, sink: string, entries: number, reason: string): void {
  dropped += entries;
  lastReason = reason;
  counter.inc(entries, sink);
}

/** Logs the drops not yet logged, unless a line was written less than a second ago. */
export function report(this: void): void {
  if (dropped === logged) return;
  const time = now();
  if (time - lastLog < 1) return;
  lastLog = time;
  ngxLog(WARN, `json_log: dropped ${dropped - logged} log entries (${dropped} in total by this worker): ${lastReason}`);
  logged = dropped;
}
