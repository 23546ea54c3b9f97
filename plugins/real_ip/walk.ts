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
    const [family, w1, w2, w3, w4, first, last, port] = parseAddressPort(text, p, length);
    if (family === undefined || isInaddrNone(text, w4 as number, last as number)) return found ? DONE : DECLINED;
    step.family = family;
    step.w1 = w1 as number;
    step.w2 = w2 as number;
    step.w3 = w3 as number;
    step.w4 = w4 as number;
    step.first = first as number;
    step.last = last as number;
    step.port = port;
    step.start = p;
    trusted = cidrMatch(set, w1 as number, w2 as number, w3 as number, w4 as number);
    step.trusted = trusted;
    found = true;
    length = p - 2;
  } while (recursive && p > 1);
  return OK;
}

/**
 * Whether the joined value nginx gives for several X-Forwarded-For lines (`line1, line2`) may
 * walk differently from the lines themselves: only when a line is empty or starts with a
 * separator, which shows as a leading or trailing separator or a run of three.
 */
export function joinedIsAmbiguous(this: void, value: string): boolean {
  if (value === "") return false;
  return isSeparator(byte(value, 1)) || isSeparator(byte(value, value.length)) || find(value, "[ ,][ ,][ ,]")[0] !== undefined;
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
