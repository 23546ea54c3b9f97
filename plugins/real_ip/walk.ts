// The X-Forwarded-For walk of nginx's realip module (ngx_http_get_forwarded_addr), pure Lua:
// from the peer, while the current address is trusted, step to the rightmost remaining entry;
// a malformed entry stops the walk and the last good address stays. Nothing is allocated: the
// accepted entry is kept in `step`, module state overwritten by each walk.
import { cidrMatch, formatIpv6, IPV4, parseAddressPort, type CidrSet } from "../lib/ip";

const byte = string.byte;
const sub = string.sub;
const find = string.find;

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

/** The digit at `position` (0 to 9), or -1 for another byte or a position before the text. */
function digitAt(this: void, text: string, position: number): number {
  if (position < 1) return -1;
  const c = byte(text, position);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

/**
 * The octet whose last digit is at `last`, read right to left: its value and the position of
 * its first digit, or -1 when there are not 1 to 3 digits without a leading zero, up to 255 (a
 * further digit before them is for the caller, which expects a dot or a separator there).
 */
function octetEndingAt(this: void, text: string, last: number): LuaMultiReturn<[number, number]> {
  const ones = digitAt(text, last);
  if (ones < 0) return $multi(-1, 0);
  const tens = digitAt(text, last - 1);
  if (tens < 0) return $multi(ones, last);
  const hundreds = digitAt(text, last - 2);
  if (hundreds < 0) {
    if (tens === 0) return $multi(-1, 0);
    return $multi(tens * 10 + ones, last - 1);
  }
  const value = hundreds * 100 + tens * 10 + ones;
  if (hundreds === 0 || value > 255) return $multi(-1, 0);
  return $multi(value, last - 2);
}

/**
 * Puts the plain dotted quad ending at `last` (no port, not nginx's unparsable
 * 255.255.255.255) into `step` and returns its first position; 0 when the bytes there are not
 * one. Byte reads and arithmetic only: no string is made, no loop or pattern stops LuaJIT from
 * compiling the request handler as one trace.
 */
function plainIpv4EndingAt(this: void, text: string, last: number): number {
  const [d, fourth] = octetEndingAt(text, last);
  if (d < 0 || byte(text, fourth - 1) !== 46) return 0;
  const [c, third] = octetEndingAt(text, fourth - 2);
  if (c < 0 || byte(text, third - 1) !== 46) return 0;
  const [b, second] = octetEndingAt(text, third - 2);
  if (b < 0 || byte(text, second - 1) !== 46) return 0;
  const [a, first] = octetEndingAt(text, second - 2);
  if (a < 0) return 0;
  const value = ((a * 256 + b) * 256 + c) * 256 + d;
  if (value === 4294967295) return 0;
  stepIpv4(value, first, last, undefined);
  return first;
}

/** Puts an entry of any form parseAddressPort reads into `step`; false when nginx would refuse it (also its INADDR_NONE). */
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

/** joinedStep's answer when the walk stopped at the entry it accepted. */
const STOPPED = 0;
/** joinedStep's answer for an entry that is not a plain IPv4 address after ",", ", " or the start (walkLine decides). */
const UNPLAIN = -1;

/**
 * One step of `walkJoined`: the entry ending at `last`. When it is a plain IPv4 address that
 * starts the text or follows "," or ", ", puts it in `step` and returns STOPPED if it is
 * untrusted or the leftmost, else where the entry before it ends; UNPLAIN otherwise.
 */
function joinedStep(this: void, text: string, last: number, set: CidrSet): number {
  const first = plainIpv4EndingAt(text, last);
  if (first === 0) return UNPLAIN;
  let next = STOPPED;
  if (first > 1) {
    const before = byte(text, first - 1);
    if (before === 44 && first > 2) next = first - 2;
    else if (before === 32 && first > 3 && byte(text, first - 2) === 44) next = first - 3;
    else return UNPLAIN;
  }
  const trusted = set.v4Contains(step.w4);
  step.start = first;
  step.trusted = trusted;
  return trusted ? next : STOPPED;
}

/**
 * The walk of `walkLine` from a trusted peer, for a value that `joinedIsAmbiguous` accepts (no
 * leading, trailing or triple separators). Up to four plain IPv4 entries separated by "," or
 * ", " are walked in straight-line code (no loop: LuaJIT compiles the request handler around it
 * as one trace); any other entry, or a longer trusted chain, is left to walkLine from the
 * start. Returns whether an entry was accepted (it is in `step`).
 */
export function walkJoined(this: void, text: string, set: CidrSet, recursive: boolean): boolean {
  let last = joinedStep(text, text.length, set);
  if (recursive) {
    if (last > 0) last = joinedStep(text, last, set);
    if (last > 0) last = joinedStep(text, last, set);
    if (last > 0) last = joinedStep(text, last, set);
    if (last > 0) return walkLine(text, set, recursive, true) !== DECLINED;
  }
  if (last === UNPLAIN) return walkLine(text, set, recursive, true) !== DECLINED;
  return true;
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
