// The `file` sink: entries are buffered per worker and appended with one write per flush
// (O_APPEND, so the workers' batches never interleave within a line). A timer flushes every
// `flush_interval` and checks whether the path still names the open file (by device and inode):
// after logrotate moved it away and `nginx -s reopen` ran (or `create` made a new file), the
// sink reopens the path. Entries written before the check went to the old file: none is lost.
// On graceful shutdown the last timer run flushes and later entries are written at once.
import * as ffi from "ffi";
import * as drops from "./drops";
import { new as newBuffer, type StringBuffer } from "string.buffer";

const ngxLog = ngx.log;
const ERR = ngx.ERR;
const NOTICE = ngx.NOTICE;
const now = ngx.now;
const exiting = ngx.worker.exiting;

// `stat` under a name of our own (asm label), so another module's declaration cannot collide.
// The result is read as 64-bit words: st_dev then st_ino on 64-bit Linux (x86_64 and arm64).
ffi.cdef(`int resty_ts_json_log_stat(const char *path, void *buf) __asm__("stat");`);
const statBuffer = ffi.new("uint64_t[32]") as unknown as LuaTable<number, unknown>;
const C = ffi.C;

let path = "";
let handle: LuaFile | undefined;
let identity: string | undefined;
let bufferSize = 0;
let flushInterval = 1;
/** The entries not yet written, each ending in a newline (no Lua string per entry). */
const pending = newBuffer(65536);
let count = 0;
let closing = false;
let lastErrorLog = 0;

/** Device and inode of the file at `path` as "dev:ino", or nil when it does not exist. */
function identify(this: void, file: string): string | undefined {
  if (C.resty_ts_json_log_stat(file, statBuffer) !== 0) return undefined;
  return `${tostring(statBuffer.get(0))}:${tostring(statBuffer.get(1))}`;
}

/** Logs a write problem at most once a second. */
function complain(this: void, message: string): void {
  const time = now();
  if (time - lastErrorLog < 1) return;
  lastErrorLog = time;
  ngxLog(ERR, `json_log: file sink: ${message}`);
}

/** (Re)opens the path for appending; keeps the old handle when that fails. */
function open(this: void): boolean {
  const [file, err] = io.open(path, "a");
  if (file === undefined) {
    complain(`cannot open ${path}: ${err}`);
    return false;
  }
  file.setvbuf("no");
  if (handle !== undefined) handle.close();
  handle = file;
  identity = identify(path);
  return true;
}

/** Writes the buffered entries with one write. */
export function flush(this: void): void {
  if (count === 0) return;
  const entries = count;
  const data = handle !== undefined || open() ? pending.tostring() : undefined;
  pending.reset();
  count = 0;
  if (data === undefined) {
    drops.drop("file", entries, `cannot open ${path}`);
    return;
  }
  const [ok, err] = (handle as LuaFile).write(data);
  if (ok === undefined) {
    complain(`cannot write to ${path}: ${err}`);
    drops.drop("file", entries, `cannot write to ${path}: ${err}`);
  }
}

/** Reopens the path when it no longer names the open file (rotated, removed, replaced). */
export function checkReopen(this: void): void {
  if (handle === undefined) return;
  const current = identify(path);
  if (current !== undefined && current === identity) return;
  // Flush what was logged before rotation into the old file, then switch.
  flush();
  if (open()) ngxLog(NOTICE, `json_log: file sink: reopened ${path}`);
}

function tick(this: void, premature: boolean): void {
  if (premature) closing = true;
  checkReopen();
  flush();
  drops.report();
}

/** Sets the path and buffering (at init). */
export function configure(this: void, file: string, size: number, interval: number): void {
  path = file;
  bufferSize = size;
  flushInterval = interval;
}

/** Opens the file and starts the flush timer (init_worker). */
export function start(this: void): void {
  open();
  const [ok, err] = ngx.timer.every(flushInterval, tick);
  if (ok === undefined) ngxLog(ERR, `json_log: file sink: cannot start the flush timer: ${err}`);
}

/** Queues one entry (a string, or a buffer's contents); writes when the buffer is full or the worker is shutting down. */
export function write(this: void, line: string | StringBuffer): void {
  count++;
  pending.put(line, "\n");
  if (pending.length() >= bufferSize || closing) flush();
  else if (count === 1 && exiting()) {
    closing = true;
    flush();
  }
}
