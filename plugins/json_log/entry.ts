// Builds one log entry (a JSON object on one line) from a Plan and the values the log phase
// read. Pure Lua (no ngx): main.ts reads the variables, headers, client address and clock and
// hands them over, so the busted specs can check whole entries.
import { Kind, type Plan, type Redaction } from "./fields";
import { NULL, quote, numberOrNull, numberList, stringList, nanoseconds } from "./json";
import { objectOf, requestPath, redactQuery, redactUri, redactRequestLine, redactCookies } from "./query";
import { headersObject } from "./headers";
import type { HeaderLines } from "../lib/variables";
import { new as newBuffer } from "string.buffer";

const match = string.match;
const concat = table.concat;
const byte = string.byte;
const sub = string.sub;
const tonumber = _G.tonumber;
const osDate = os.date;

/** Everything besides the Plan that shapes an entry; built once at init. */
export interface Encoder {
  readonly plan: Plan;
  readonly redaction: Redaction;
  /** Header names (lower case) to log, in order; nil logs all. */
  readonly includeHeaders: string[] | undefined;
  /** Longer string values are cut (see json.truncate). */
  readonly maxValueBytes: number;
}

// Scratch table reused by every entry (the log phase never yields, so no two builds overlap).
const out = new LuaTable<number, string | number>();

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
 * `value` is its variable's value; `lines`, `count` and `clientIp` as for `build`.
 */
export function piece(
  this: void,
  encoder: Encoder,
  i: number,
  value: string | undefined,
  lines: HeaderLines | undefined,
  count: number,
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
  if (kind === Kind.Headers) return headersObject(encoder, lines, count);
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
 * `values[i]` holds `plan.vars[i]`'s value (nil when unset); when the plan has a headers field,
 * `lines` holds the request's `count` header lines (see headers.ts; nil: none); `clientIp`,
 * when given, replaces `$remote_addr` in client_ip.
 * The reference implementation: the log phase runs the equivalent code codegen.ts generates.
 */
export function build(
  this: void,
  encoder: Encoder,
  values: LuaTable<number, string | undefined>,
  lines: HeaderLines | undefined,
  count: number,
  clientIp: string | undefined,
): string {
  const plan = encoder.plan;
  const slots = plan.slots;
  const prefixes = plan.prefixes;
  const omitNull = plan.omitNull;
  let n = 0;
  for (const i of $range(1, plan.count)) {
    const json = piece(encoder, i, values.get(slots.get(i)), lines, count, clientIp);
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
