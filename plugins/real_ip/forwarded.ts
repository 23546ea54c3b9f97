// RFC 7239 `Forwarded` header, pure Lua: a parser that reads each element's `for` node, and the
// right-to-left walk over them with the X-Forwarded-For rules (see walk.ts). Runs only for
// requests that carry the header, so it may allocate a little.
import { cidrMatch, IPV6, parseIpv4, parseIpv6, parsePort, type CidrSet } from "../lib/ip";
import { step, stepIpv4 } from "./walk";

const byte = string.byte;
const sub = string.sub;
const find = string.find;
const lower = string.lower;

/** A token (RFC 7230 tchar+), anchored. */
const TOKEN = "^[%w!#$%%&'*+%-.^_`|~]+";
/** Optional whitespace, anchored. */
const OWS = "^[ \t]*";
/** A run of quoted-string bytes other than `"`, `\` and control bytes, anchored. */
const QUOTED_RUN = '^[^%c"\\]+';

/** Skips optional whitespace from `pos`; returns the next position. */
function skipSpace(this: void, line: string, pos: number): number {
  const [, last] = find(line, OWS, pos);
  return (last as number) + 1;
}

/**
 * Reads a parameter value (token or quoted-string with `\` escapes) at `pos`. Returns the
 * unquoted value and the position after it, or nil when malformed.
 */
function readValue(this: void, line: string, pos: number): LuaMultiReturn<[string, number] | [undefined, number]> {
  if (byte(line, pos) !== 34) {
    const [, last] = find(line, TOKEN, pos);
    if (last === undefined) return $multi(undefined, pos);
    return $multi(sub(line, pos, last), last + 1);
  }
  let value = "";
  let i = pos + 1;
  for (;;) {
    const c = byte(line, i);
    if (c === undefined) return $multi(undefined, i); // unterminated
    if (c === 34) return $multi(value, i + 1);
    if (c === 92) {
      // quoted-pair: a backslash and the byte it escapes (not a control byte)
      const escaped = byte(line, i + 1);
      if (escaped === undefined || (escaped < 32 && escaped !== 9) || escaped === 127) return $multi(undefined, i);
      value += sub(line, i + 1, i + 1);
      i += 2;
    } else if (c === 9) {
      value += "\t";
      i++;
    } else if (c < 32 || c === 127) {
      return $multi(undefined, i);
    } else {
      const [, last] = find(line, QUOTED_RUN, i);
      const runEnd = last as number;
      value += sub(line, i, runEnd);
      i = runEnd + 1;
    }
  }
}

/**
 * Appends to `nodes` the `for` value of each element of one Forwarded line, left to right:
 * the unquoted value, or false for an element without `for` (or with it twice). A line that does
 * not parse adds one false at its end, so a walk from the right stops there.
 */
export function parseForwardedLine(this: void, line: string, nodes: (string | false)[]): void {
  let pos = 1;
  const length = line.length;
  for (;;) {
    // one element: pairs separated by ";"
    let forValue: string | false = false;
    let pairs = 0;
    let duplicate = false;
    for (;;) {
      pos = skipSpace(line, pos);
      const c = byte(line, pos);
      if (c === 59) {
        pos++;
        continue;
      }
      if (c === undefined || c === 44) break;
      const [, nameLast] = find(line, TOKEN, pos);
      if (nameLast === undefined || byte(line, nameLast + 1) !== 61) {
        nodes.push(false);
        return;
      }
      const name = lower(sub(line, pos, nameLast));
      const [value, after] = readValue(line, nameLast + 2);
      if (value === undefined) {
        nodes.push(false);
        return;
      }
      if (name === "for") {
        if (forValue !== false) duplicate = true;
        forValue = value;
      }
      pairs++;
      pos = skipSpace(line, after);
      const next = byte(line, pos);
      if (next === 59) pos++;
      else if (next !== undefined && next !== 44) {
        nodes.push(false);
        return;
      }
    }
    if (pairs > 0) nodes.push(duplicate ? false : forValue);
    if (pos > length) return;
    pos++; // the ","
  }
}

/**
 * Parses a `for` node (RFC 7239 section 6): `192.0.2.43`, `192.0.2.43:47011`,
 * `[2001:db8::17]`, `[2001:db8::17]:4711`, an obfuscated port `_p` (no port then).
 * Returns the address into `step` and true, or false for `unknown`, an obfuscated node
 * (`_hidden`), an unbracketed IPv6 address, port 0 and anything malformed.
 */
export function parseNode(this: void, node: string): boolean {
  const length = node.length;
  let first = 1;
  let last: number;
  let rest: number; // where ":port" would start
  if (byte(node, 1) === 91) {
    const [close] = find(node, "]", 2, true);
    if (close === undefined) return false;
    first = 2;
    last = close - 1;
    rest = close + 1;
    const [w1, w2, w3, w4] = parseIpv6(node, first, last);
    if (w1 === undefined) return false;
    step.family = IPV6;
    step.w1 = w1;
    step.w2 = w2 as number;
    step.w3 = w3 as number;
    step.w4 = w4 as number;
  } else {
    const [colon] = find(node, ":", 1, true);
    last = colon === undefined ? length : colon - 1;
    rest = last + 1;
    const v4 = parseIpv4(node, 1, last);
    if (v4 === undefined) return false;
    stepIpv4(v4, first, last, undefined);
  }
  step.first = first;
  step.last = last;
  step.start = 1;
  step.port = undefined;
  if (rest <= length) {
    if (byte(node, rest) !== 58 || rest === length) return false;
    if (byte(node, rest + 1) === 95) {
      // An obfuscated port: "_" then ALPHA / DIGIT / "." / "_" / "-".
      if (find(node, "^[%w._%-]+$", rest + 2)[0] === undefined) return false;
    } else {
      if (length - rest > 5) return false;
      const port = parsePort(node, rest + 1, length);
      if (port === undefined) return false;
      step.port = port;
    }
  }
  return true;
}

/**
 * Walks `for` nodes right to left from a current address whose trust is `trusted`: one step,
 * or while the address reached is trusted when `recursive`. A node that does not parse
 * (`unknown`, obfuscated, missing, malformed) stops the walk. Returns the index of the
 * accepted node (its address is in `step`), or -1 when none was accepted.
 */
export function walkForwarded(this: void, nodes: (string | false)[], set: CidrSet, recursive: boolean, trusted: boolean): number {
  let at = -1;
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!trusted) break;
    const node = nodes[i];
    if (node === false || !parseNode(node)) break;
    at = i;
    trusted = cidrMatch(set, step.w1, step.w2, step.w3, step.w4);
    step.trusted = trusted;
    if (!recursive) break;
  }
  return at;
}
