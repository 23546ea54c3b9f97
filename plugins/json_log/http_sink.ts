// The `http` sink: entries wait in a bounded per-worker queue; a timer (cosockets are not
// allowed in the log phase) POSTs them as NDJSON batches. A failed batch is retried with
// exponential backoff, then dropped. When the queue is full new entries are dropped and
// counted (see drops.ts). Nothing on the request path waits for the collector.
import * as httpClient from "../lib/http_client";
import * as drops from "./drops";

const concat = table.concat;
const ngxLog = ngx.log;
const ERR = ngx.ERR;
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
let queueFull = "the queue is full";
const SHUTTING_DOWN = "the worker is shutting down";
let requestHeaders: LuaTable<string, string>;

// The queue: entries head..tail-1 of `queue` (a ring would save nothing: indices only grow
// until the queue empties, then both reset).
const queue = new LuaTable<number, string>();
let head = 1;
let tail = 1;
let sending = false;
let closing = false;

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
        drops.drop("http", last - head + 1, `the collector did not take a batch: ${err}`);
        break;
      }
      ngx.sleep(options.retry_delay * 2 ** (attempt - 1));
      drops.report();
    }
    for (const i of $range(head, last)) queue.delete(i);
    head = last + 1;
    drops.report();
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
  drops.report();
  if (head < tail) send(premature);
  else if (premature) closing = true;
}

/** Sets the collector and queue settings (at init). */
export function configure(this: void, settings: HttpSinkOptions): void {
  options = settings;
  queueFull = `the queue is full (${settings.queue_limit} entries)`;
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
    drops.drop("http", 1, closing ? SHUTTING_DOWN : queueFull);
    return;
  }
  queue.set(tail, line);
  tail++;
  // A full batch is sent at once rather than at the next tick.
  if (!sending && tail - head === options.batch_size) timerAt(0, send);
}
