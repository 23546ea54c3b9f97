// Query strings, paths and cookies for log entries: the query as a JSON object, query and cookie
// redaction. Pure Lua (no ngx): busted specs in spec/json_log/ run it alone.
import { quote } from "./json";

const find = string.find;
const match = string.match;
const gsub = string.gsub;
const sub = string.sub;
const lower = string.lower;
const char = string.char;
const concat = table.concat;

/** Written instead of a redacted value. */
export const REDACTED = "REDACTED";
const REDACTED_JSON = `"${REDACTED}"`;

/** Lower-case names, as a set. */
export type NameSet = LuaTable<string, true>;

/** Byte for each `%XX` escape (both letter cases), for gsub. */
const HEX = new LuaTable<string, string>();
for (const code of $range(0, 255)) {
  const upper = string.format("%02X", code);
  HEX.set(upper, char(code));
  HEX.set(lower(upper), char(code));
  HEX.set(`${sub(upper, 1, 1)}${lower(sub(upper, 2, 2))}`, char(code));
  HEX.set(`${lower(sub(upper, 1, 1))}${sub(upper, 2, 2)}`, char(code));
}

/** Decodes a query component: `+` is a space, `%XX` a byte (malformed escapes stay as they are). */
export function unescape(this: void, text: string): string {
  if (find(text, "[%%+]")[0] === undefined) return text;
  text = gsub(text, "+", " ")[0];
  return gsub(text, "%%(%x%x)", HEX as unknown as Record<string, string>)[0];
}

/** `$request_uri` without its query: the path as the client sent it. */
export function requestPath(this: void, requestUri: string | undefined): string | undefined {
  if (requestUri === undefined) return undefined;
  const [mark] = find(requestUri, "?", 1, true);
  return mark === undefined ? requestUri : sub(requestUri, 1, mark - 1);
}

// Scratch state of objectOf, reused by every request (the log phase never yields).
const values = new LuaTable<string, string | string[]>();
const order: string[] = [];
const pieces: string[] = [];

/**
 * The query string as a JSON object: names and values decoded, a name without `=` has the
 * value "", repeated names give arrays, values of names in `redact` (lower case) are REDACTED.
 * `{}` for an empty or absent query.
 */
export function objectOf(this: void, args: string | undefined, redact: NameSet, max: number): string {
  if (args === undefined || args === "") return "{}";
  let count = 0;
  let position = 1;
  const length = args.length;
  while (position <= length) {
    let [amp] = find(args, "&", position, true);
    if (amp === undefined) amp = length + 1;
    if (amp > position) {
      const [equals] = find(args, "=", position, true);
      let name: string;
      let value: string;
      if (equals === undefined || equals > amp) {
        name = unescape(sub(args, position, amp - 1));
        value = "";
      } else {
        name = unescape(sub(args, position, equals - 1));
        value = unescape(sub(args, equals + 1, amp - 1));
      }
      const seen = values.get(name);
      if (seen === undefined) {
        values.set(name, value);
        count++;
        order[count - 1] = name;
      } else if (typeof seen === "string") {
        values.set(name, [seen, value]);
      } else {
        seen[seen.length] = value;
      }
    }
    position = amp + 1;
  }
  for (const i of $range(1, count)) {
    const name = order[i - 1];
    const value = values.get(name) as string | string[];
    values.delete(name);
    let json: string;
    if (redact.get(lower(name)) === true) json = REDACTED_JSON;
    else if (typeof value === "string") json = quote(value, max);
    else json = listOf(value, max);
    pieces[i - 1] = `${quote(name, max)}:${json}`;
  }
  return `{${concat(pieces, ",", 1, count)}}`;
}

/** A JSON array of strings. */
export function listOf(this: void, items: string[], max: number): string {
  let out = "[";
  for (const i of $range(1, items.length)) {
    out = i === 1 ? out + quote(items[i - 1], max) : `${out},${quote(items[i - 1], max)}`;
  }
  return `${out}]`;
}

/** Whether any entry of a query string has a (decoded, lower-cased) name in `redact`. */
function needsRedaction(this: void, args: string, redact: NameSet): boolean {
  let position = 1;
  const length = args.length;
  while (position <= length) {
    let [amp] = find(args, "&", position, true);
    if (amp === undefined) amp = length + 1;
    const [equals] = find(args, "=", position, true);
    const nameEnd = equals === undefined || equals > amp ? amp - 1 : equals - 1;
    if (redact.get(lower(unescape(sub(args, position, nameEnd)))) === true) return true;
    position = amp + 1;
  }
  return false;
}

/**
 * The raw query string with the values of names in `redact` replaced by REDACTED (names and
 * other values left as sent). Returned unchanged when nothing matches.
 */
export function redactQuery(this: void, args: string | undefined, redact: NameSet): string | undefined {
  if (args === undefined || args === "" || next(redact)[0] === undefined) return args;
  if (!needsRedaction(args, redact)) return args;
  const pieces: string[] = [];
  let position = 1;
  const length = args.length;
  while (position <= length) {
    let [amp] = find(args, "&", position, true);
    if (amp === undefined) amp = length + 1;
    const part = sub(args, position, amp - 1);
    const [equals] = find(part, "=", 1, true);
    const name = equals === undefined ? part : sub(part, 1, equals - 1);
    pieces[pieces.length] = redact.get(lower(unescape(name))) === true ? `${name}=${REDACTED}` : part;
    position = amp + 1;
  }
  return concat(pieces, "&");
}

/** `$request_uri` (or any path?query) with its query redacted (see redactQuery). */
export function redactUri(this: void, uri: string | undefined, redact: NameSet): string | undefined {
  if (uri === undefined) return undefined;
  const [mark] = find(uri, "?", 1, true);
  if (mark === undefined) return uri;
  const query = sub(uri, mark + 1);
  const redacted = redactQuery(query, redact);
  return redacted === query ? uri : `${sub(uri, 1, mark)}${redacted}`;
}

/** `$request` (`GET /path?query HTTP/1.1`) with the query of its target redacted. */
export function redactRequestLine(this: void, line: string | undefined, redact: NameSet): string | undefined {
  if (line === undefined) return undefined;
  const [targetStart] = find(line, " ", 1, true);
  if (targetStart === undefined) return line;
  const [target, rest] = match(line, "^(%S*)(.*)$", targetStart + 1);
  if (target === undefined) return line;
  const redacted = redactUri(target, redact);
  return redacted === target ? line : `${sub(line, 1, targetStart)}${redacted}${rest}`;
}

/**
 * Whether a cookie name is one of `names` or starts with one followed by `_`: the openidc
 * session cookie `name`, its chunks `name_2`, ... and its login-flow cookies `name_login_<id>`
 * (a prefix match, so a cookie openidc adds later is covered too).
 */
export function isListedCookie(this: void, name: string, names: NameSet): boolean {
  if (names.get(name) === true) return true;
  let [underscore] = find(name, "_", 2, true);
  while (underscore !== undefined) {
    if (names.get(sub(name, 1, underscore - 1)) === true) return true;
    [underscore] = find(name, "_", underscore + 1, true);
  }
  return false;
}

/**
 * A Cookie (or Set-Cookie) header value with the values of cookies listed in `names` (see
 * isListedCookie; names are case-sensitive, as browsers send them) replaced by REDACTED.
 * Pieces are split at `;` and at `,` (how nginx joins repeated Set-Cookie headers), so a
 * cookie after an attribute list is seen too. Unchanged when none is present.
 */
export function redactCookies(this: void, header: string, names: NameSet): string {
  let changed = false;
  const parts: string[] = [];
  let position = 1;
  const length = header.length;
  while (position <= length + 1) {
    let [separator] = find(header, "[;,]", position);
    if (separator === undefined) separator = length + 1;
    const part = sub(header, position, separator - 1);
    const [prefix, name] = match(part, "^(%s*([^=%s]+)%s*=)");
    if (name !== undefined && isListedCookie(name, names)) {
      parts[parts.length] = `${prefix}${REDACTED}`;
      changed = true;
    } else {
      parts[parts.length] = part;
    }
    if (separator <= length) parts[parts.length] = sub(header, separator, separator);
    position = separator + 1;
  }
  return changed ? concat(parts) : header;
}

/** A set of lower-cased names. */
export function nameSet(this: void, names: string[]): NameSet {
  const set = new LuaTable<string, true>();
  for (const name of names) set.set(lower(name), true);
  return set;
}
