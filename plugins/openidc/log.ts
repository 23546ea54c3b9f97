// Log lines for failures that last (an unreachable OP, a configuration that cannot load, a
// recurring internal error): the first line of a kind is written at once; repeats within
// INTERVAL seconds are only counted and the count is added to the next line of that kind. A
// down OP under heavy traffic then costs a line per kind every few seconds per worker, not a
// line per request.

/** Seconds between two lines of the same kind (per worker). */
const INTERVAL = 10;

const time = ngx.time;
const log = ngx.log;
const nextAt = new LuaTable<string, number>();
const suppressed = new LuaTable<string, number>();

/**
 * Logs `message` at `level`, unless a line of the same `kind` (a fixed name such as "op") was
 * logged by this worker less than INTERVAL seconds ago: then the line is counted instead.
 */
export function logThrottled(this: void, level: number, kind: string, message: string): void {
  const now = time();
  const next = nextAt.get(kind);
  if (next !== undefined && now < next) {
    suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1);
    return;
  }
  nextAt.set(kind, now + INTERVAL);
  const skipped = suppressed.get(kind) ?? 0;
  if (skipped === 0) return log(level, message);
  suppressed.set(kind, 0);
  log(level, `${message} (${skipped} similar lines not written in the last ${INTERVAL} s or more)`);
}
