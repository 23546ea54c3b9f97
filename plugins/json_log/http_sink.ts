// The `http` sink: entries wait in a bounded per-worker queue; a timer (cosockets are not
// allowed in the log phase) POSTs them as NDJSON batches. A failed batch is retried with
// exponential backoff, then dropped. When the queue is full new entries are dropped and
// counted (resty_ts_json_log_dropped_total when prometheus is enabled); the count is logged
// at most once a second. Nothing on the request path waits for the collector.
import * as httpClient from "../lib/http_client";
import * as metrics from "../lib/metrics";

const concat = table.concat;
const ngxLog = ngx.log;
const ERR = ngx.ERR;
const WARN = ngx.WARN;
const now = ngx.now;
const timerAt = ngx.timer.at;

/** The sink's settings (the config's `http` section). */
export interface HttpSinkOptions {
  readonly url: string;
  readonly headers: LuaTable<string, string>;
  readonly batch_size: number;
  readonly flush_interval: number;
  readonly queue_limit: number;
  readonly timeout: number;
  readonly retries: number;
  readonly retry_delay: number;
}

let options: HttpSinkOptions;
let requestHeaders: LuaTable<string, string>;

// The queue: entries head..tail-1 of `queue` (a ring would save nothing: indices only grow
// until the queue empties, then both reset).
const queue = new LuaTable<number, string>();
let head = 1;
let tail = 1;
let sending = false;
let closing = false;

/** Entries dropped by this worker since it started, and the count last logged. */
let dropped = 0;
let droppedLogged = 0;
let lastDropLog = 0;

const droppedCounter = metrics.counter("resty_ts_json_log_dropped_total",
  "Log entries the json_log plugin dropped (queue full, or delivery failed after retries).", []);

/** Entries this worker dropped so far (queue full or batches given up). */
export function droppedCount(this: void): number {
  return dropped;
}

function drop(this: void, entries: number): void {
  dropped += entries;
  droppedCounter.inc(entries);
}

/** Logs new drops, at most once a second. */
function reportDrops(this: void): void {
  if (dropped === droppedLogged) return;
  const time = now();
  if (time - lastDropLog < 1) return;
  lastDropLog = time;
  ngxLog(WARN, `json_log: http sink: dropped ${dropped - droppedLogged} log entries (${dropped} in total by this worker): queue full or collector unreachable`);
  droppedLogged = dropped;
}

/** POSTs one batch; true when the collector took it (2xx). */
function post(this: void, body: string): LuaMultiReturn<[boolean, string | undefined, boolean]> {
  const [response, err] = httpClient.request({
    method: "POST", url: options.url, body, headers: requestHeaders, timeout: options.timeout,
  });
  if (response === undefined) return $multi(false, err, true);
  if (response.status >= 200 && response.status < 300) return $multi(true, undefined, false);
  // 4xx other than 408 and 429 will not get better with retries.
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  return $multi(false, `the collector answered ${response.status}`, retryable);
}

/** Sends batches until the queue is empty (or the worker exits while retries wait). */
function drain(this: void): void {
  while (head < tail) {
    const last = math.min(head + options.batch_size - 1, tail - 1);
    const body = `${concat(queue as unknown as string[], "\n", head, last)}\n`;
    let attempt = 0;
    for (;;) {
      const [ok, err, retryable] = post(body);
      if (ok) break;
      attempt++;
      if (!retryable || attempt > options.retries || closing) {
        ngxLog(ERR, `json_log: http sink: giving up a batch of ${last - head + 1} entries after ${attempt} attempt(s): ${err}`);
        drop(last - head + 1);
        break;
      }
      ngx.sleep(options.retry_delay * 2 ** (attempt - 1));
      reportDrops();
    }
    for (const i of $range(head, last)) queue.delete(i);
    head = last + 1;
    reportDrops();
  }
  head = 1;
  tail = 1;
}

function send(this: void, premature: boolean): void {
  if (premature) closing = true;
  if (sending) return;
  sending = true;
  const [ok, err] = pcall(drain);
  sending = false;
  if (!ok) ngxLog(ERR, `json_log: http sink: ${tostring(err)}`);
}

function tick(this: void, premature: boolean): void {
  reportDrops();
  if (head < tail) send(premature);
  else if (premature) closing = true;
}

/** Sets the collector and queue settings (at init). */
export function configure(this: void, settings: HttpSinkOptions): void {
  options = settings;
  requestHeaders = new LuaTable();
  for (const [name, value] of pairs(settings.headers)) requestHeaders.set(name, value);
  requestHeaders.set("Content-Type", "application/x-ndjson");
}

/** Starts the flush timer (init_worker). */
export function start(this: void): void {
  const [ok, err] = ngx.timer.every(options.flush_interval, tick);
  if (ok === undefined) ngxLog(ERR, `json_log: http sink: cannot start the flush timer: ${err}`);
}

/** Queues one entry, or drops it when the queue is full. */
export function write(this: void, line: string): void {
  // Full, or shutting down with no sender left to take it.
  if (tail - head >= options.queue_limit || (closing && !sending)) {
    drop(1);
    return;
  }
  queue.set(tail, line);
  tail++;
  // A full batch is sent at once rather than at the next tick.
  if (!sending && tail - head === options.batch_size) timerAt(0, send);
}
