// The request headers as one JSON object, written straight from nginx's header lines (lower-case
// names, request order): a repeated header's values as an array, redaction applied. Pure Lua (no
// ngx): it takes the lines as given (nginx's, from plugins/lib/variables; tables in the specs).
import * as ffi from "ffi";
import { quote, MEMO_BYTES } from "./json";
import { redactCookies, listOf, REDACTED } from "./query";
import { new as newBuffer, type StringBuffer } from "string.buffer";
import type { HeaderLines } from "../lib/variables";
import { overLinesSource } from "../lib/unrolled";
import type { Encoder } from "./entry";

const toLuaString = ffi.string;
const clearTable: typeof import("table.clear") = require("table.clear");
const type = _G.type;

const REDACTED_JSON = `"${REDACTED}"`;

/** `"name":"value"` texts of recent short header values, by name then value (see json.Memo). */
const PIECE_LIMIT = 4096;
const pieces = new LuaTable<string, LuaTable<string, string>>();
let pieceCount = 0;

/** One header's `"name":value` text; a list is a repeated header's values. */
function headerPiece(this: void, encoder: Encoder, name: string, value: string | string[]): string {
  if (type(value) === "string") {
    const byName = pieces.get(name);
    const hit = byName === undefined ? undefined : byName.get(value as string);
    if (hit !== undefined) return hit;
  }
  if (encoder.redaction.headers.get(name) === true) return `${quote(name, encoder.maxValueBytes)}:${REDACTED_JSON}`;
  const key = quote(name, encoder.maxValueBytes);
  if (type(value) === "string") {
    const text = value as string;
    if (name === "cookie" || name === "set-cookie") return `${key}:${quote(redactCookies(text, encoder.redaction.cookies), encoder.maxValueBytes)}`;
    const piece = `${key}:${quote(text, encoder.maxValueBytes)}`;
    // Only unredacted, fully written pieces are memoized, so a hit is always right.
    if (text.length <= MEMO_BYTES && text.length <= encoder.maxValueBytes) {
      if (pieceCount >= PIECE_LIMIT) {
        clearTable(pieces);
        pieceCount = 0;
      }
      let byName = pieces.get(name);
      if (byName === undefined) {
        byName = new LuaTable();
        pieces.set(name, byName);
      }
      byName.set(text, piece);
      pieceCount++;
    }
    return piece;
  }
  const list = value as string[];
  if (name === "cookie" || name === "set-cookie") {
    const redacted: string[] = [];
    for (const i of $range(1, list.length)) redacted[i - 1] = redactCookies(list[i - 1], encoder.redaction.cookies);
    return `${key}:${listOf(redacted, encoder.maxValueBytes)}`;
  }
  return `${key}:${listOf(list, encoder.maxValueBytes)}`;
}

/** Include lists as sets, by list (made on first use; weak keys: a list goes with its encoder). */
const includeSets = setmetatable(new LuaTable<string[], LuaTable<string, boolean>>(), { __mode: "k" });

function includeSetOf(this: void, include: string[]): LuaTable<string, boolean> {
  let set = includeSets.get(include);
  if (set === undefined) {
    set = new LuaTable();
    for (const name of include) set.set(name, true);
    includeSets.set(include, set);
  }
  return set;
}

// Scratch reused by every object (the log phase never yields, so no two overlap).
/** Values by name (a list for a repeated name), and names in first-seen order, for `grouped`. */
const valuesByName = new LuaTable<string, string | string[]>();
const names: string[] = [];

/**
 * Writes the object the general way: values grouped by name first (a repeated header becomes
 * an array; only names of `includeHeaders` when there is that list), written in the order of
 * their first appearance.
 */
function grouped(this: void, buffer: StringBuffer, encoder: Encoder, lines: HeaderLines, count: number): void {
  clearTable(valuesByName);
  const include = encoder.includeHeaders;
  const wanted = include !== undefined ? includeSetOf(include) : undefined;
  let nameCount = 0;
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    const name = toLuaString(line.key.data as never, line.key.len);
    if (wanted === undefined || wanted.get(name) === true) {
      const value = toLuaString(line.value.data as never, line.value.len);
      const existing = valuesByName.get(name);
      if (existing === undefined) {
        valuesByName.set(name, value);
        nameCount++;
        names[nameCount - 1] = name;
      } else if (type(existing) === "table") {
        (existing as string[]).push(value);
      } else {
        valuesByName.set(name, [existing as string, value]);
      }
    }
  }
  let separator = "{";
  for (const i of $range(1, nameCount)) {
    const name = names[i - 1];
    buffer.put(separator, headerPiece(encoder, name, valuesByName.get(name) as string | string[]));
    separator = ",";
  }
  buffer.put(separator === "{" ? "{}" : "}");
}

/** The object while it is written: kept apart until no name has repeated. */
const pending = newBuffer(1024);
/** The object each name was last seen in, by name (a counter: nothing is cleared per object). */
const seenIn = new LuaTable<string, number>();
let objectNumber = 0;
/** Objects between two emptyings of `seenIn` (clients choose header names: it must not grow). */
const SEEN_OBJECTS = 64;

/**
 * Writes `"name":value` texts of the lines (only names in `wanted`, unless nil) into `pending`,
 * "{" before the first and "," before the others; returns how many bytes it wrote, or -1 as
 * soon as a name repeats (the object must then be written by `grouped`).
 */
type LineWriter = (this: void, encoder: Encoder, lines: HeaderLines, count: number, object: number, wanted: LuaTable<string, boolean> | undefined) => number;

/** One line's code: its piece from the memo, written unless not wanted; -1 for a repeated name. */
const lineSource = (at: string): string => `local l = lines[${at}] local name = str(l.key.data, l.key.len)
    if wanted == nil or wanted[name] then
      if seen[name] == object then return -1 end
      seen[name] = object
      local value = str(l.value.data, l.value.len)
      local byName = pieces[name] local hit = byName and byName[value]
      if hit == nil then hit = headerPiece(encoder, name, value) end
      pending:put(#pending == 0 and "{" or ",", hit)
    end`;
const [writerChunk] = loadstring(overLinesSource("str, seen, pieces, headerPiece, pending",
  "encoder, lines, count, object, wanted", lineSource, "#pending"), "=json_log.headers");
const writeLines = (writerChunk as (this: void, ...upvalues: unknown[]) => LineWriter)(toLuaString, seenIn, pieces, headerPiece, pending);

/**
 * Appends the JSON object of `count` header lines (`lines[0]` to `lines[count - 1]`) to `buffer`,
 * in request order: only the names of `includeHeaders` when the encoder has that list. The usual
 * request (no name twice) takes one pass over the lines, each value's text from the memo; one
 * with a repeated name is written by `grouped`.
 */
export function headersInto(this: void, buffer: StringBuffer, encoder: Encoder, lines: HeaderLines | undefined, count: number): void {
  if (lines === undefined || count <= 0) {
    buffer.put("{}");
    return;
  }
  const include = encoder.includeHeaders;
  objectNumber++;
  if (objectNumber % SEEN_OBJECTS === 0) clearTable(seenIn);
  pending.reset();
  const written = writeLines(encoder, lines, count, objectNumber, include !== undefined ? includeSetOf(include) : undefined);
  if (written > 0) buffer.put(pending, "}");
  else if (written === 0) buffer.put("{}");
  else grouped(buffer, encoder, lines, count);
}

const objectBuffer = newBuffer(1024);

/** What `headersInto` appends, as a string. */
export function headersObject(this: void, encoder: Encoder, lines: HeaderLines | undefined, count: number): string {
  objectBuffer.reset();
  headersInto(objectBuffer, encoder, lines, count);
  return objectBuffer.tostring();
}
