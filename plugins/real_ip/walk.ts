// The X-Forwarded-For walk of nginx's realip module (ngx_http_get_forwarded_addr), pure Lua:
// from the peer, while the current address is trusted, step to the rightmost remaining entry;
// a malformed entry stops the walk and the last good address stays. Nothing is allocated: the
// accepted entry is kept in `step`, module state overwritten by each walk.
import { cidrMatch, formatIpv6, IPV4, parseAddressPort, parsePort, type CidrSet } from "../lib/ip";

const byte = string.byte;
const sub = string.sub;
const find = string.find;
const match = string.match;
const reverse = string.reverse;

/** A line gave no address (nginx's NGX_DECLINED). */
export const DECLINED = 0;
/** A line was walked to its left end (NGX_OK): a recursive walk goes on with the line before. */
export const OK = 1;
/** A line gave an address, then the walk stopped in it (NGX_DONE). */
export const DONE = 2;

/** The entry the walk accepted last. Valid after a walk that did not return DECLINED. */
export interface Step {
  /** IPV4 or IPV6 (see ../lib/ip). */
  family: number;
  w1: number;
  w2: number;
  w3: number;
  w4: number;
  /** First and last byte of the address (without brackets and port) in the walked text. */
  first: number;
  last: number;
  /** The entry's port, nil when it had none. */
  port: number | undefined;
  /** First byte of the whole entry (the trusted chain starts here). */
  start: number;
  /** Whether the accepted address is itself trusted (the walk may go on). */
  trusted: boolean;
}

/** The accepted entry, overwritten by each walk (module state: no table per request). */
export const step: Step = { family: 0, w1: 0, w2: 0, w3: 0, w4: 0, first: 0, last: 0, port: undefined, start: 0, trusted: false };

/** Puts an IPv4 address (its 32-bit value, as IPv4-mapped words) at text[first..last] into `step`. */
export function stepIpv4(this: void, value: number, first: number, last: number, port: number | undefined): void {
  step.family = IPV4;
  step.w1 = 0;
  step.w2 = 0;
  step.w3 = 65535;
  step.w4 = value;
  step.first = first;
  step.last = last;
  step.port = port;
}

/** Separator bytes of X-Forwarded-For for nginx: space and comma only. */
function isSeparator(this: void, c: number): boolean {
  return c === 32 || c === 44;
}

/** nginx cannot parse a dotted 255.255.255.255 (its INADDR_NONE), also inside IPv6: neither do we. */
function isInaddrNone(this: void, text: string, w4: number, last: number): boolean {
  return w4 === 4294967295 && byte(text, last) === 53;
}

/**
 * Walks one header line right to left, from a current address whose trust is `trusted`, with
 * nginx's rules. Returns DECLINED (no entry accepted), OK (walked to the left end) or DONE
 * (accepted some, then stopped); the accepted entry is in `step`.
 */
export function walkLine(this: void, text: string, set: CidrSet, recursive: boolean, trusted: boolean): number {
  let found = false;
  let length = text.length;
  let p: number;
  do {
    if (!trusted) return found ? DONE : DECLINED;
    p = length;
    while (p > 1 && isSeparator(byte(text, p))) p--;
    length = p;
    while (p > 1) {
      if (isSeparator(byte(text, p))) {
        p++;
        break;
      }
      p--;
    }
    if (p < 1) return found ? DONE : DECLINED;
    if (!parseFull(text, p, length)) return found ? DONE : DECLINED;
    step.start = p;
    trusted = cidrMatch(set, step.w1, step.w2, step.w3, step.w4);
    step.trusted = trusted;
    found = true;
    length = p - 2;
  } while (recursive && p > 1);
  return OK;
}

/** A dotted quad's four octets (1 to 3 digits each) and the position after it, anchored. */
const DOTTED_QUAD = "^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)()";

/**
 * The octets of a strict dotted quad, "0" to "255", by text: one lookup instead of checking
 * for a leading zero, converting and comparing ("01" and "256" are absent).
 */
const OCTETS = new LuaTable<string, number>();
for (let i = 0; i <= 255; i++) OCTETS.set(tostring(i), i);

/**
 * Parses the entry `text[first..last]` into `step` (see parseAddressPort); false when nginx
 * would not accept it. Plain IPv4 with an optional port takes a fast path (one pattern match,
 * which costs less than a byte loop in LuaJIT's interpreter); anything else the full parser.
 */
function parseEntry(this: void, text: string, first: number, last: number): boolean {
  // The fifth capture is a position (a number), string.match's type says string.
  const [o1, o2, o3, o4, after] = match(text, DOTTED_QUAD, first);
  if (o1 !== undefined) {
    const end = after as unknown as number;
    let port: number | undefined;
    if (end <= last) {
      if (byte(text, end) !== 58) return parseFull(text, first, last);
      port = parsePort(text, end + 1, last);
      if (port === undefined) return false;
    }
    // No leading zero ("0" itself is fine), no octet above 255: the strict IPv4 of ../lib/ip.
    const a = OCTETS.get(o1);
    const b = OCTETS.get(o2 as string);
    const c = OCTETS.get(o3 as string);
    const d = OCTETS.get(o4 as string);
    if (a === undefined || b === undefined || c === undefined || d === undefined) return false;
    const value = ((a * 256 + b) * 256 + c) * 256 + d;
    if (value === 4294967295) return false;
    stepIpv4(value, first, end - 1, port);
    return true;
  }
  return parseFull(text, first, last);
}

/** parseEntry's general case: every form parseAddressPort reads, minus nginx's INADDR_NONE. */
function parseFull(this: void, text: string, first: number, last: number): boolean {
  const [family, w1, w2, w3, w4, addressFirst, addressLast, port] = parseAddressPort(text, first, last);
  if (family === undefined || isInaddrNone(text, w4 as number, addressLast as number)) return false;
  step.family = family;
  step.w1 = w1 as number;
  step.w2 = w2 as number;
  step.w3 = w3 as number;
  step.w4 = w4 as number;
  step.first = addressFirst as number;
  step.last = addressLast as number;
  step.port = port;
  return true;
}

/**
 * Trusted plain IPv4 entries seen before (text -> 32-bit value), so that the proxies' own
 * addresses, which repeat on every request, are not parsed again. Bounded: emptied when full.
 * Only trusted entries are kept: client addresses, which vary, are never cached.
 */
let trustedEntries = new LuaTable<string, number>();
let trustedEntryCount = 0;
let trustedEntriesOf: CidrSet | undefined;
const MAX_TRUSTED_ENTRIES = 1024;

/**
 * The walk of `walkLine` from a trusted peer, for a value that `joinedIsAmbiguous` accepts (no
 * leading, trailing or triple separators), so that entries are just the runs between separators.
 * Finds them right to left with one `string.find` each on the reversed value. Returns whether an
 * entry was accepted (it is in `step`).
 */
export function walkJoined(this: void, text: string, set: CidrSet, recursive: boolean): boolean {
  if (trustedEntriesOf !== set) {
    trustedEntries = new LuaTable();
    trustedEntryCount = 0;
    trustedEntriesOf = set;
  }
  const length = text.length;
  const reversed = reverse(text);
  let found = false;
  let pos = 1;
  for (;;) {
    const [reversedFirst, reversedLast] = find(reversed, "[^ ,]+", pos);
    if (reversedFirst === undefined) return found;
    const first = length - (reversedLast as number) + 1;
    const last = length - reversedFirst + 1;
    const entry = sub(text, first, last);
    const known = trustedEntries.get(entry);
    let trusted: boolean;
    if (known !== undefined) {
      stepIpv4(known, first, last, undefined);
      trusted = true;
    } else {
      if (!parseEntry(text, first, last)) return found;
      trusted = cidrMatch(set, step.w1, step.w2, step.w3, step.w4);
      if (trusted && step.family === IPV4 && step.port === undefined) {
        if (trustedEntryCount >= MAX_TRUSTED_ENTRIES) {
          trustedEntries = new LuaTable();
          trustedEntryCount = 0;
        }
        trustedEntries.set(entry, step.w4);
        trustedEntryCount++;
      }
    }
    found = true;
    step.start = first;
    step.trusted = trusted;
    if (!trusted || !recursive) return true;
    pos = (reversedLast as number) + 1;
  }
}

/**
 * Whether the joined value nginx gives for several X-Forwarded-For lines (`line1, line2`) may
 * walk differently from the lines themselves: only when a line is empty or starts with a
 * separator (nginx trims spaces around a value), which shows as ", ," inside, or as a leading
 * or trailing separator.
 */
export function joinedIsAmbiguous(this: void, value: string): boolean {
  if (value === "") return false;
  const firstByte = byte(value, 1);
  const lastByte = byte(value, value.length);
  return firstByte === 32 || firstByte === 44 || lastByte === 32 || lastByte === 44 || find(value, ", ,", 1, true)[0] !== undefined;
}

/**
 * Walks several lines, last first, continuing to the line before only in recursive mode and
 * only after a line was walked to its left end, as nginx does. Returns the 0-based index of the
 * line holding the accepted entry (see `step`), or -1 when none was accepted.
 */
export function walkLines(this: void, lines: string[], set: CidrSet, recursive: boolean, trusted: boolean): number {
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const status = walkLine(lines[i], set, recursive, trusted);
    if (status !== DECLINED) at = i;
    if (!recursive || status !== OK) break;
    trusted = step.trusted;
  }
  return at;
}

/**
 * The accepted address as nginx writes `$remote_addr`: the IPv4 text as given (the parser
 * refuses non-canonical forms), IPv6 re-formatted (lowercase, compressed).
 */
export function stepAddress(this: void, text: string): string {
  if (step.family === IPV4) return sub(text, step.first, step.last);
  return formatIpv6(step.w1, step.w2, step.w3, step.w4);
}
