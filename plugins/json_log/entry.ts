// Builds one log entry (a JSON object on one line) from a Plan and the values the log phase
// read. Pure Lua (no ngx): main.ts reads the variables, headers, client address and clock and
// hands them over, so the busted specs can check whole entries.
import { Kind, type Plan, type Redaction } from "./fields";
import { NULL, MEMO_BYTES, quote, numberOrNull, numberList, stringList, nanoseconds } from "./json";
import { objectOf, requestPath, redactQuery, redactUri, redactRequestLine, redactCookies, listOf, REDACTED } from "./query";
import { new as newBuffer, type StringBuffer } from "string.buffer";

const match = string.match;
const concat = table.concat;
const byte = string.byte;
const sub = string.sub;
const tonumber = _G.tonumber;
const osDate = os.date;
const type = _G.type;

/** Everything besides the Plan that shapes an entry; built once at init. */
export interface Encoder {
  readonly plan: Plan;
  readonly redaction: Redaction;
  /** Header names (lower case) to log, in order; nil logs all. */
  readonly includeHeaders: string[] | undefined;
  /** Longer string values are cut (see json.truncate). */
  readonly maxValueBytes: number;
}

const REDACTED_JSON = `"${REDACTED}"`;

// Scratch tables reused by every entry (the log phase never yields, so no two builds overlap).
const out = new LuaTable<number, string | number>();
/** Header texts at even indexes, "," before each at odd ones: joined by one unpack or concat. */
const headerPieces = new LuaTable<number, string>();

let cachedSecond = "";
let cachedPrefix = "";

/**
 * `"2024-05-01T12:00:00.123Z"` for `$msec` (`1714564800.123`); the date part is formatted
 * once a second. nil for text that is not `$msec`'s format.
 */
export function timestamp(this: void, msec: string): string | undefined {
  const [date, fraction] = timeParts(msec);
  return date === undefined ? undefined : `${date}${fraction}Z"`;
}

/**
 * `timestamp` in two pieces, for a writer that appends them: `"2024-05-01T12:00:00` (made once
 * a second) and `.123`; the caller adds `Z"`. nil for text that is not `$msec`'s format.
 */
export function timeParts(this: void, msec: string): LuaMultiReturn<[string, string] | [undefined, undefined]> {
  const second = sub(msec, 1, -5);
  if (second !== cachedSecond) {
    const seconds = tonumber(second);
    if (seconds === undefined || byte(msec, -4) !== 46) return $multi(undefined, undefined);
    cachedSecond = second;
    cachedPrefix = `"${osDate("!%Y-%m-%dT%H:%M:%S", seconds)}`;
  }
  return $multi(cachedPrefix, sub(msec, -4));
}

/** `"name":"value"` texts of recent short header values, by name then value (see json.Memo). */
const PIECE_LIMIT = 4096;
let pieces = new LuaTable<string, LuaTable<string, string>>();
let pieceCount = 0;

/** One header's `"name":value` text. */
function headerPiece(this: void, encoder: Encoder, name: string, value: string | string[]): string {
  if (encoder.redaction.headers.get(name) === true) return `${quote(name, encoder.maxValueBytes)}:${REDACTED_JSON}`;
  if (type(value) === "string") {
    const byName = pieces.get(name);
    const hit = byName === undefined ? undefined : byName.get(value as string);
    if (hit !== undefined) return hit;
  }
  const key = quote(name, encoder.maxValueBytes);
  if (type(value) === "string") {
    const text = value as string;
    if (name === "cookie" || name === "set-cookie") return `${key}:${quote(redactCookies(text, encoder.redaction.cookies), encoder.maxValueBytes)}`;
    const piece = `${key}:${quote(text, encoder.maxValueBytes)}`;
    if (text.length <= MEMO_BYTES && text.length <= encoder.maxValueBytes) {
      if (pieceCount >= PIECE_LIMIT) {
        pieces = new LuaTable();
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

/** Fills headerPieces with the headers' `"name":value` texts (see there); returns how many. */
function collectHeaders(this: void, encoder: Encoder, headers: LuaTable<string, string | string[]>): number {
  let count = 0;
  const include = encoder.includeHeaders;
  if (include !== undefined) {
    for (const i of $range(1, include.length)) {
      const name = include[i - 1];
      const value = rawget(headers as unknown as Record<string, string | string[] | undefined>, name);
      if (value !== undefined) {
        count++;
        headerPieces.set(2 * count - 1, ",");
        headerPieces.set(2 * count, headerPiece(encoder, name, value));
      }
    }
  } else {
    for (const [name, value] of pairs(headers)) {
      count++;
      // The memo hit inlined (most values repeat): a call less per header in the interpreter.
      // Only unredacted, fully written pieces are memoized, so a hit is always right.
      const byName = pieces.get(name);
      const hit = byName === undefined ? undefined : byName.get(value as string);
      headerPieces.set(2 * count - 1, ",");
      headerPieces.set(2 * count, hit !== undefined ? hit : headerPiece(encoder, name, value));
    }
  }
  return count;
}

/** The request headers as a JSON object (repeated headers as arrays, redaction applied). */
export function headersObject(this: void, encoder: Encoder, headers: LuaTable<string, string | string[]> | undefined): string {
  if (headers === undefined) return "{}";
  const count = collectHeaders(encoder, headers);
  if (count === 0) return "{}";
  return `{${concat(headerPieces as unknown as string[], "", 2, 2 * count)}}`;
}

/** Appends what `headersObject` returns to `buffer`, without making it a string first. */
export function headersInto(this: void, buffer: StringBuffer, encoder: Encoder, headers: LuaTable<string, string | string[]> | undefined): void {
  const count = headers === undefined ? 0 : collectHeaders(encoder, headers);
  if (count === 0) {
    buffer.put("{}");
    return;
  }
  buffer.put("{", ...unpack(headerPieces as unknown as string[], 2, 2 * count));
  buffer.put("}");
}

/**
 * The buffer every entry is built in (see codegen.ts). A finished line is handed on from here
 * (the variable sink copies it straight into nginx's variable): long strings that differ only
 * in a few bytes are slow to make in LuaJIT (its string hash samples a few bytes, so they land
 * in one hash chain and each new one is compared with the others), and an entry is one.
 */
export const entryBuffer = newBuffer(4096);

/** `HTTP/1.1` -> `"1.1"`; `TLSv1.3` -> `"1.3"`; nil when the text does not look like that. */
function versionOf(this: void, text: string | undefined, pattern: string): string | undefined {
  if (text === undefined) return undefined;
  const [version] = match(text, pattern);
  return version === undefined ? undefined : `"${version}"`;
}

/**
 * The JSON value of field `i` of the plan (a string, or a number table.concat writes as JSON):
 * `value` is its variable's value; `headers` and `clientIp` as for `build`.
 */
export function piece(
  this: void,
  encoder: Encoder,
  i: number,
  value: string | undefined,
  headers: LuaTable<string, string | string[]> | undefined,
  clientIp: string | undefined,
): string | number {
  const kind = encoder.plan.kinds.get(i);
  const max = encoder.maxValueBytes;
  if (kind === Kind.Str) return value === undefined ? NULL : quote(value, max);
  // Digits from nginx, already valid JSON ("0.001" too) except with a leading 0 before a digit
  // ("000", the status of a request that got no response): that goes through numberOrNull.
  if (kind === Kind.NginxNum) {
    if (value === undefined || value === "") return NULL;
    return byte(value, 1) !== 48 || byte(value, 2) === 46 || value === "0" ? value : numberOrNull(value);
  }
  if (kind === Kind.Token) return value === undefined ? NULL : `"${value}"`;
  if (kind === Kind.Num) return numberOrNull(value);
  if (kind === Kind.NumList) return numberList(value);
  if (kind === Kind.Time) return (value === undefined ? undefined : timestamp(value)) ?? NULL;
  if (kind === Kind.ClientIp) {
    const ip = clientIp ?? value;
    return ip === undefined ? NULL : quote(ip, max);
  }
  if (kind === Kind.Path) {
    const path = requestPath(value);
    return path === undefined ? NULL : quote(path, max);
  }
  if (kind === Kind.Args) return objectOf(value, encoder.redaction.query, max);
  if (kind === Kind.Headers) return headersObject(encoder, headers);
  if (kind === Kind.StrList) return stringList(value, max)[0];
  if (kind === Kind.Count) {
    const [, count] = stringList(value, max);
    return count;
  }
  if (kind === Kind.Nanoseconds) return nanoseconds(value);
  if (kind === Kind.Query) {
    const query = redactQuery(value, encoder.redaction.query);
    return query === undefined || (query === "" && encoder.plan.omitNull) ? NULL : quote(query, max);
  }
  if (kind === Kind.Uri) {
    const uri = redactUri(value, encoder.redaction.query);
    return uri === undefined ? NULL : quote(uri, max);
  }
  if (kind === Kind.RequestLine) {
    const line = redactRequestLine(value, encoder.redaction.query);
    return line === undefined ? NULL : quote(line, max);
  }
  if (kind === Kind.Cookie) return value === undefined ? NULL : quote(redactCookies(value, encoder.redaction.cookies), max);
  if (kind === Kind.HttpVersion) return versionOf(value, "^HTTP/(.+)$") ?? NULL;
  if (kind === Kind.TlsVersion) return versionOf(value, "^TLSv(.+)$") ?? NULL;
  if (kind === Kind.ConstIfSet) return value === undefined ? NULL : encoder.plan.constants.get(i);
  return encoder.plan.constants.get(i);
}

/**
 * The entry for one request: a JSON object on one line (no newline at the end).
 * `values[i]` holds `plan.vars[i]`'s value (nil when unset); `headers` is needed when the plan
 * has a headers field; `clientIp`, when given, replaces `$remote_addr` in client_ip.
 * The reference implementation: the log phase runs the equivalent code codegen.ts generates.
 */
export function build(
  this: void,
  encoder: Encoder,
  values: LuaTable<number, string | undefined>,
  headers: LuaTable<string, string | string[]> | undefined,
  clientIp: string | undefined,
): string {
  const plan = encoder.plan;
  const slots = plan.slots;
  const prefixes = plan.prefixes;
  const omitNull = plan.omitNull;
  let n = 0;
  for (const i of $range(1, plan.count)) {
    const json = piece(encoder, i, values.get(slots.get(i)), headers, clientIp);
    if (!(omitNull && json === NULL)) {
      n++;
      out.set(n, n === 1 ? plan.firsts.get(i) : prefixes.get(i));
      n++;
      out.set(n, json);
    }
  }
  if (n === 0) return "{}";
  n++;
  out.set(n, "}");
  return concat(out as unknown as string[], "", 1, n);
}
