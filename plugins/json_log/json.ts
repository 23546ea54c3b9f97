// JSON text for log values, strictly valid whatever bytes a client sent: control characters and
// `"` `\` escaped, `/` left alone, every byte that is not part of well-formed UTF-8 replaced by
// `\ufffd`. Pure Lua (no ngx), so the busted specs in spec/json_log/ run it alone.
// Fast path: one `string.find` proves a string needs no work (the usual case); the rest is done
// by `gsub` with lookup tables, so LuaJIT's interpreter spends its time in C.

const find = string.find;
const gsub = string.gsub;
const byte = string.byte;
const sub = string.sub;
const rep = string.rep;
const char = string.char;
const format = string.format;
const tonumber = _G.tonumber;
const floor = math.floor;
const huge = math.huge;
const clear: typeof import("table.clear") = require("table.clear");

/** The JSON literal for null. */
export const NULL = "null";

/** Appended to a value cut at `max_value_bytes`. */
export const TRUNCATED = "...[truncated]";

/** The escape written for each byte that is not part of well-formed UTF-8. */
const REPLACEMENT = "\\ufffd";

const HIGH_FIRST = char(0x80);
const HIGH_LAST = char(0xff);
const CONT_LAST = char(0xbf);

/** Any byte a JSON string cannot hold raw, or one that must be checked for UTF-8. */
const UNSAFE = `[%z${char(1)}-${char(31)}"\\${HIGH_FIRST}-${HIGH_LAST}]`;
/** ASCII bytes that need an escape. */
const ASCII_UNSAFE = `[%z${char(1)}-${char(31)}"\\]`;
/** A byte >= 0x80. */
const HIGH = `[${HIGH_FIRST}-${HIGH_LAST}]`;
/** A byte >= 0x80 and the continuation bytes (0x80-0xBF) after it. */
const HIGH_RUN = `[${HIGH_FIRST}-${HIGH_LAST}][${HIGH_FIRST}-${CONT_LAST}]*`;

/** Escape sequence by ASCII byte, for gsub. */
const ESCAPES = new LuaTable<string, string>();
for (const code of $range(0, 31)) ESCAPES.set(char(code), format("\\u%04x", code));
ESCAPES.set("\b", "\\b");
ESCAPES.set("\f", "\\f");
ESCAPES.set("\n", "\\n");
ESCAPES.set("\r", "\\r");
ESCAPES.set("\t", "\\t");
ESCAPES.set('"', '\\"');
ESCAPES.set("\\", "\\\\");

/**
 * UTF-8 lead bytes: how many continuation bytes follow, and the range allowed for the first of
 * them (RFC 3629: refuses overlong forms, surrogates and code points above U+10FFFF).
 */
const NEED = new LuaTable<number, number>();
const SECOND_MIN = new LuaTable<number, number>();
const SECOND_MAX = new LuaTable<number, number>();
function lead(this: void, first: number, last: number, need: number, min: number, max: number): void {
  for (const code of $range(first, last)) {
    NEED.set(code, need);
    SECOND_MIN.set(code, min);
    SECOND_MAX.set(code, max);
  }
}
lead(0xc2, 0xdf, 1, 0x80, 0xbf);
lead(0xe0, 0xe0, 2, 0xa0, 0xbf);
lead(0xe1, 0xec, 2, 0x80, 0xbf);
lead(0xed, 0xed, 2, 0x80, 0x9f);
lead(0xee, 0xef, 2, 0x80, 0xbf);
lead(0xf0, 0xf0, 3, 0x90, 0xbf);
lead(0xf1, 0xf3, 3, 0x80, 0xbf);
lead(0xf4, 0xf4, 3, 0x80, 0x8f);

/**
 * A run of bytes >= 0x80 whose first byte may be a lead byte and the rest are continuation
 * bytes: nil (keep it) when it is exactly one well-formed character, else its replacement.
 */
function fixRun(this: void, run: string): string | undefined {
  const extra = run.length - 1;
  const first = byte(run, 1);
  const need = NEED.get(first);
  if (need !== undefined && extra >= need) {
    const second = byte(run, 2);
    if (second >= SECOND_MIN.get(first) && second <= SECOND_MAX.get(first)) {
      if (extra === need) return undefined;
      return sub(run, 1, need + 1) + rep(REPLACEMENT, extra - need);
    }
  }
  return rep(REPLACEMENT, extra + 1);
}

/** Escapes a string that needs work: ASCII escapes, then UTF-8 repair. */
function escapeSlow(this: void, text: string): string {
  let out = gsub(text, ASCII_UNSAFE, ESCAPES as unknown as Record<string, string>)[0];
  if (find(out, HIGH)[0] !== undefined) {
    out = gsub(out, HIGH_RUN, fixRun as unknown as (...matches: string[]) => string)[0];
  }
  return out;
}

/** Whether `code` is a UTF-8 continuation byte. */
function isContinuation(this: void, code: number | undefined): boolean {
  return code !== undefined && code >= 0x80 && code < 0xc0;
}

/**
 * Cuts `text` to at most `max` bytes, backing off to a character boundary when the cut would
 * split a UTF-8 sequence, and appends TRUNCATED.
 */
export function truncate(this: void, text: string, max: number): string {
  let end = max;
  for (let step = 0; step < 3 && end > 0 && isContinuation(byte(text, end + 1)); step++) end--;
  if (isContinuation(byte(text, end + 1))) end = max; // not UTF-8 anyway: cut anywhere
  return sub(text, 1, end) + TRUNCATED;
}

/**
 * The JSON string literal for `text` (with quotes), not cached: for values that rarely repeat
 * (request ids). Cut to `max` bytes first (see truncate).
 */
export function quoteOnce(this: void, text: string, max: number): string {
  if (text.length > max) text = truncate(text, max);
  if (find(text, UNSAFE)[0] === undefined) return `"${text}"`;
  return `"${escapeSlow(text)}"`;
}

/**
 * Literals of recent short strings. A gateway sees the same header values, paths and upstream
 * addresses over and over; one table lookup (Lua strings are interned) replaces a pattern scan
 * that costs ~10 ns a byte in LuaJIT's interpreter. Bounded: emptied when full.
 */
export interface Memo {
  readonly entries: LuaTable<string, string>;
  size: number;
  readonly limit: number;
}

/** A memo holding at most `limit` entries. */
export function memo(this: void, limit: number): Memo {
  return { entries: new LuaTable(), size: 0, limit };
}

/** Stores an entry, emptying the memo first when it is full. */
export function remember(this: void, table: Memo, key: string, value: string): void {
  if (table.size >= table.limit) {
    clear(table.entries);
    table.size = 0;
  }
  table.size++;
  table.entries.set(key, value);
}

/** Strings up to this many bytes are memoized. */
export const MEMO_BYTES = 256;
const quoted = memo(4096);
/** `quote`'s memo: literal by text, for texts up to MEMO_BYTES (read by generated code). */
export const quotedEntries = quoted.entries;

/**
 * The JSON string literal for `text` (with quotes), cut to `max` bytes first (see truncate).
 * Valid UTF-8 passes unchanged; `/` and DEL are not escaped. Short strings are memoized.
 */
export function quote(this: void, text: string, max: number): string {
  const length = text.length;
  if (length > max) return quoteOnce(text, max);
  const hit = quotedEntries.get(text);
  if (hit !== undefined) return hit;
  const literal = find(text, UNSAFE)[0] === undefined ? `"${text}"` : `"${escapeSlow(text)}"`;
  if (length <= MEMO_BYTES) remember(quoted, text, literal);
  return literal;
}

/** Whether a string is valid UTF-8 (for tests and config checks; not used per request). */
export function isUtf8(this: void, text: string): boolean {
  if (find(text, HIGH)[0] === undefined) return true;
  return gsub(text, HIGH_RUN, fixRun as unknown as (...matches: string[]) => string)[0] === text;
}

/**
 * The JSON number for a numeric string, or null: anything `tonumber` reads (so `-` and garbage
 * give null) that is finite. Returned as a Lua number: table.concat writes it with `%.14g`,
 * always a valid JSON number.
 */
export function numberOrNull(this: void, text: string | undefined): number | string {
  if (text === undefined) return NULL;
  const value = tonumber(text);
  if (value === undefined || value !== value || value === huge || value === -huge) return NULL;
  return value;
}

/** Whether `text` is a JSON number as nginx prints them: digits, optionally `.digits`, no leading zero. */
function isPlainNumber(this: void, text: string): boolean {
  if (find(text, "^%d+%.?%d*$")[0] === undefined) return false;
  if (byte(text, -1) === 46) return false; // "12."
  const first = byte(text, 1);
  return first !== 48 || text.length === 1 || byte(text, 2) === 46; // "0", "0.5", not "05"
}

const numberLists = memo(1024);
/** `numberList`'s memo: JSON array by text (read by generated code). */
export const numberListEntries = numberLists.entries;

/**
 * A JSON array of numbers (or null for `-` and anything else that is not a number) for an
 * nginx list variable: `502, 200`, `-`, `0.001 : 0.002` (internal redirects). `[]` when unset.
 */
export function numberList(this: void, text: string | undefined): string {
  if (text === undefined || text === "") return "[]";
  const hit = numberListEntries.get(text);
  if (hit !== undefined) return hit;
  const list = numberListOf(text);
  if (text.length <= MEMO_BYTES) remember(numberLists, text, list);
  return list;
}

function numberListOf(this: void, text: string): string {
  if (isPlainNumber(text)) return `[${text}]`;
  let out = "[";
  let position = 1;
  for (;;) {
    const [start, finish] = find(text, "[^%s,:]+", position);
    if (start === undefined) break;
    const value = numberOrNull(sub(text, start, finish));
    out = out === "[" ? out + value : `${out},${value}`;
    position = finish + 1;
  }
  return `${out}]`;
}

/** Separator between entries of an nginx upstream list: `, ` or ` : `. */
const LIST_SEPARATOR = " ?[,:] ";

/**
 * A JSON array of strings for an nginx address list (`$upstream_addr`: `a:1, b:2 : c:3`),
 * and how many entries it has. `[]` and 0 when unset.
 */
export function stringList(this: void, text: string | undefined, max: number): LuaMultiReturn<[string, number]> {
  if (text === undefined || text === "") return $multi("[]", 0);
  if (find(text, " ", 1, true)[0] === undefined) return $multi(`[${quote(text, max)}]`, 1);
  let out = "[";
  let count = 0;
  let position = 1;
  for (;;) {
    const [start, finish] = find(text, LIST_SEPARATOR, position);
    const item = quote(sub(text, position, start === undefined ? -1 : start - 1), max);
    out = count === 0 ? out + item : `${out},${item}`;
    count++;
    if (start === undefined) break;
    position = finish + 1;
  }
  return $multi(`${out}]`, count);
}

/** Rounds a duration in seconds to whole nanoseconds as a JSON number, or null. */
export function nanoseconds(this: void, seconds: string | undefined): number | string {
  const value = numberOrNull(seconds);
  if (value === NULL) return NULL;
  return floor((value as number) * 1e6 + 0.5) * 1000;
}
