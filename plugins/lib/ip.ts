// IP addresses and CIDR sets, pure Lua (no ngx at load): strict parsers that return nil on
// anything malformed, and CIDR sets compiled once at init then matched without allocating.
//
// Addresses are handled as four 32-bit words (w1..w4, most significant first) held in Lua
// numbers, returned as multiple values so that nothing is allocated. An IPv4 address a.b.c.d
// is reported as family 4 with the words of its IPv4-mapped form ::ffff:a.b.c.d (w4 holds the
// IPv4 value), which is how an IPv4-mapped IPv6 address gets matched against IPv4 CIDRs.
//
// The parsers accept the standard text forms and refuse nginx's leniencies: IPv4 octets must be
// 1 to 3 digits without a leading zero ("1..2.3" and "01.2.3.4" are refused), IPv6 groups are 1
// to 4 hex digits with at most one "::", no zone id ("%eth0"), no single leading or trailing ":"
// ("1::2:" is refused), an embedded IPv4 only in the last 32 bits. Like nginx, "::" after seven
// groups ("1:2:3:4:5:6:7::") is refused.
import { bisectSource } from "./bisect";
import { configError, describe, list, str, type Parser } from "./schema";

const byte = string.byte;
const sub = string.sub;
const format = string.format;
const floor = math.floor;

/** Family code of an IPv4 address. */
export const IPV4 = 4;
/** Family code of an IPv6 address. */
export const IPV6 = 6;

/** 2^16 and 2^32, to combine and split 16-bit groups and 32-bit words. */
const TWO16 = 65536;
const TWO32 = 4294967296;

/**
 * A compiled list of addresses and CIDRs (see `compileCidrs`). Read-only after compilation;
 * share it freely between requests.
 */
export interface CidrSet {
  /** IPv4 ranges, flat: first1, last1, first2, last2, ... (32-bit values). */
  readonly v4: number[];
  /** Whether a 32-bit IPv4 value is in one of the IPv4 ranges (generated code: no loop). */
  readonly v4Contains: (this: void, value: number) => boolean;
  /** IPv6 ranges, flat, 8 numbers per entry: lowest w1..w4 then highest w1..w4. */
  readonly v6: number[];
  /** Whether "unix:" (connections over a unix socket) is in the set. */
  readonly unix: boolean;
  /** The entries as configured, for log lines and docs. */
  readonly entries: string[];
}

/**
 * Parses a dotted-quad IPv4 address in `text` from byte `first` to byte `last` (inclusive,
 * default the whole string). Returns its 32-bit value, or nil when malformed.
 */
export function parseIpv4(this: void, text: string, first = 1, last = text.length): number | undefined {
  if (last < first || last - first > 14) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = first; i <= last; i++) {
    const c = byte(text, i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // a leading zero
      octet = octet * 10 + c - 48;
      if (octet > 255) return undefined;
      digits++;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** The value of a hex digit byte, or -1. */
function hexDigit(this: void, c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Scratch space for the eight 16-bit groups of the IPv6 address being parsed (never shared across yields). */
const groups: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Parses an IPv6 address in `text` from byte `first` to byte `last` (inclusive, default the
 * whole string): full, "::"-compressed and embedded-IPv4 forms, hex digits in either case.
 * Returns its four 32-bit words, or nil when malformed.
 */
export function parseIpv6(this: void, text: string, first = 1, last = text.length): LuaMultiReturn<[number, number, number, number] | [undefined, undefined, undefined, undefined]> {
  if (last <= first || last - first > 44) return $multi(undefined, undefined, undefined, undefined);
  let count = 0; // groups written
  let gap = -1; // where "::" stands: the number of groups before it
  let i = first;
  if (byte(text, i) === 58) {
    if (byte(text, i + 1) !== 58) return $multi(undefined, undefined, undefined, undefined);
    gap = 0;
    i += 2;
  }
  while (i <= last) {
    const start = i;
    let value = 0;
    let digits = 0;
    let c = byte(text, i);
    let d = hexDigit(c);
    while (d >= 0) {
      if (digits === 4) return $multi(undefined, undefined, undefined, undefined);
      value = value * 16 + d;
      digits++;
      i++;
      if (i > last) break;
      c = byte(text, i);
      d = hexDigit(c);
    }
    if (digits === 0) return $multi(undefined, undefined, undefined, undefined);
    if (i <= last && c === 46) {
      // An embedded IPv4 address: the last 32 bits.
      if (count > 6) return $multi(undefined, undefined, undefined, undefined);
      const v4 = parseIpv4(text, start, last);
      if (v4 === undefined) return $multi(undefined, undefined, undefined, undefined);
      groups[count] = floor(v4 / TWO16);
      groups[count + 1] = v4 % TWO16;
      count += 2;
      break;
    }
    if (count === 8) return $multi(undefined, undefined, undefined, undefined);
    groups[count] = value;
    count++;
    if (i > last) break;
    if (c !== 58) return $multi(undefined, undefined, undefined, undefined);
    i++;
    if (i > last) return $multi(undefined, undefined, undefined, undefined); // a trailing single ":"
    if (byte(text, i) === 58) {
      if (gap >= 0) return $multi(undefined, undefined, undefined, undefined);
      gap = count;
      i++;
    }
  }
  if (gap < 0) {
    if (count !== 8) return $multi(undefined, undefined, undefined, undefined);
  } else {
    // "::" stands for at least one group; after seven groups nginx refuses it too.
    if (count > 7 || (gap === count && count === 7)) return $multi(undefined, undefined, undefined, undefined);
    const zeros = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + zeros] = groups[k];
    for (let k = gap; k < gap + zeros; k++) groups[k] = 0;
  }
  return $multi(
    groups[0] * TWO16 + groups[1],
    groups[2] * TWO16 + groups[3],
    groups[4] * TWO16 + groups[5],
    groups[6] * TWO16 + groups[7],
  );
}

/**
 * Parses an IPv4 or IPv6 address (no port) in `text[first..last]`. Returns the family (IPV4 or
 * IPV6) and four 32-bit words (IPv4 as ::ffff:a.b.c.d, its value in w4), or nil when malformed.
 */
export function parseAddress(this: void, text: string, first = 1, last = text.length): LuaMultiReturn<[number, number, number, number, number] | [undefined, undefined, undefined, undefined, undefined]> {
  const v4 = parseIpv4(text, first, last);
  if (v4 !== undefined) return $multi(IPV4, 0, 0, 65535, v4);
  const [w1, w2, w3, w4] = parseIpv6(text, first, last);
  if (w1 === undefined) return $multi(undefined, undefined, undefined, undefined, undefined);
  return $multi(IPV6, w1, w2 as number, w3 as number, w4 as number);
}

/**
 * Parses a port number in `text[first..last]`: decimal digits (leading zeros allowed, as nginx
 * does), 1 to 65535. Returns it, or nil.
 */
export function parsePort(this: void, text: string, first: number, last: number): number | undefined {
  if (last < first) return undefined;
  let value = 0;
  for (let i = first; i <= last; i++) {
    const c = byte(text, i);
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + c - 48;
    if (value > 65535) return undefined;
  }
  if (value === 0) return undefined;
  return value;
}

/** Where `wanted` first occurs in `text[first..last]`, or 0. */
function findByte(this: void, text: string, wanted: number, first: number, last: number): number {
  for (let i = first; i <= last; i++) if (byte(text, i) === wanted) return i;
  return 0;
}

/**
 * Parses an address with an optional port in `text[first..last]`, as nginx's
 * `ngx_parse_addr_port` reads X-Forwarded-For entries: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`,
 * `[2001:db8::1]:443` (brackets need a port; an IPv4 address in brackets is refused).
 * Returns family, w1..w4 (see `parseAddress`), the first and last byte of the address itself
 * (without brackets and port) and the port (nil when none); nil when malformed.
 */
export function parseAddressPort(this: void, text: string, first = 1, last = text.length): LuaMultiReturn<[number, number, number, number, number, number, number, number | undefined] | [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]> {
  const [family, w1, w2, w3, w4] = parseAddress(text, first, last);
  if (family !== undefined) return $multi(family, w1 as number, w2 as number, w3 as number, w4 as number, first, last, undefined);
  if (byte(text, first) === 91) {
    const close = findByte(text, 93, first + 1, last);
    if (close === 0 || close >= last - 1 || byte(text, close + 1) !== 58) {
      return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
    }
    const port = parsePort(text, close + 2, last);
    if (port === undefined) return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
    const [v1, v2, v3, v4] = parseIpv6(text, first + 1, close - 1);
    if (v1 === undefined) return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
    return $multi(IPV6, v1, v2 as number, v3 as number, v4 as number, first + 1, close - 1, port);
  }
  const colon = findByte(text, 58, first, last);
  if (colon === 0) return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  const port = parsePort(text, colon + 1, last);
  if (port === undefined) return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  const v4 = parseIpv4(text, first, colon - 1);
  if (v4 === undefined) return $multi(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  return $multi(IPV4, 0, 0, 65535, v4, first, colon - 1, port);
}

/** Whether four words are an IPv4 address (family 4, or IPv4-mapped IPv6 ::ffff:0:0/96). */
export function isIpv4Mapped(this: void, w1: number, w2: number, w3: number): boolean {
  return w1 === 0 && w2 === 0 && w3 === 65535;
}

/**
 * Whether the address given as words (see `parseAddress`) is in `set`. IPv4 and IPv4-mapped
 * IPv6 addresses are matched against the IPv4 entries only, as nginx's `ngx_cidr_match` does.
 * Allocates nothing.
 */
export function cidrMatch(this: void, set: CidrSet, w1: number, w2: number, w3: number, w4: number): boolean {
  if (w1 === 0 && w2 === 0 && w3 === 65535) return set.v4Contains(w4);
  const ranges = set.v6;
  for (let i = 0; i < ranges.length; i += 8) {
    if (
      w1 >= ranges[i] && w1 <= ranges[i + 4] &&
      w2 >= ranges[i + 1] && w2 <= ranges[i + 5] &&
      w3 >= ranges[i + 2] && w3 <= ranges[i + 6] &&
      w4 >= ranges[i + 3] && w4 <= ranges[i + 7]
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `address` (IPv4, IPv6, or "unix:" as nginx's `$remote_addr` reads for a unix socket
 * peer) is in `set`. A malformed address is in no set. Allocates nothing.
 */
export function cidrContains(this: void, set: CidrSet, address: string): boolean {
  const [family, w1, w2, w3, w4] = parseAddress(address);
  if (family === undefined) return address === "unix:" && set.unix;
  return cidrMatch(set, w1 as number, w2 as number, w3 as number, w4 as number);
}

/** Lowest and highest value of a 32-bit word whose top `bits` bits are fixed. */
function wordRange(this: void, word: number, bits: number): LuaMultiReturn<[number, number]> {
  if (bits >= 32) return $multi(word, word);
  if (bits <= 0) return $multi(0, TWO32 - 1);
  const span = 2 ** (32 - bits);
  const low = floor(word / span) * span;
  return $multi(low, low + span - 1);
}

/** Parses a prefix length: decimal digits without a leading zero, at most `max`. */
function parsePrefix(this: void, text: string, first: number, max: number): number | undefined {
  const digits = sub(text, first);
  if (string.find(digits, "^%d%d?%d?$")[0] === undefined) return undefined;
  if (digits.length > 1 && byte(digits, 1) === 48) return undefined;
  const bits = tonumber(digits) as number;
  return bits <= max ? bits : undefined;
}

/**
 * Compiles addresses and CIDRs (`10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`, `::1`, and
 * `"unix:"`) into a CidrSet for `cidrContains` / `cidrMatch`. Host bits after the prefix are
 * ignored (`10.1.2.3/8` is 10.0.0.0/8). An IPv6 CIDR inside ::ffff:0:0/96 becomes the IPv4 CIDR
 * it denotes. Returns the set, or nil and a message naming the first bad entry. Call at init.
 */
export function compileCidrs(this: void, entries: string[]): LuaMultiReturn<[CidrSet, undefined] | [undefined, string]> {
  const v4: number[] = [];
  const v6: number[] = [];
  let unix = false;
  const names: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (type(entry) !== "string") return $multi(undefined, `entry ${i + 1} is not a string: ${describe(entry)}`);
    names.push(entry);
    if (entry === "unix:") {
      unix = true;
      continue;
    }
    const slash = findByte(entry, 47, 1, entry.length);
    const last = slash === 0 ? entry.length : slash - 1;
    const [family, w1, w2, w3, w4] = parseAddress(entry, 1, last);
    const bad = `invalid address or CIDR "${entry}" (entry ${i + 1})`;
    if (family === undefined) return $multi(undefined, bad);
    let bits = family === IPV4 ? 32 : 128;
    if (slash !== 0) {
      const prefix = parsePrefix(entry, slash + 1, bits);
      if (prefix === undefined) return $multi(undefined, bad);
      bits = prefix;
    }
    const mapped = isIpv4Mapped(w1 as number, w2 as number, w3 as number);
    if (family === IPV4 || (mapped && bits >= 96)) {
      const [low, high] = wordRange(w4 as number, family === IPV4 ? bits : bits - 96);
      v4[v4.length] = low;
      v4[v4.length] = high;
      continue;
    }
    const words = [w1 as number, w2 as number, w3 as number, w4 as number];
    const base = v6.length;
    for (let k = 0; k < 4; k++) {
      const [low, high] = wordRange(words[k], bits - 32 * k);
      v6[base + k] = low;
      v6[base + 4 + k] = high;
    }
  }
  return $multi({ v4, v6, v4Contains: v4Matcher(v4), unix, entries: names }, undefined);
}

/**
 * The IPv4 membership test for these ranges (flat first, last pairs): sorted and merged, then a
 * generated binary search over their ends with the ranges as constants. Per-request code calls
 * it for every X-Forwarded-For entry; a loop over the ranges there would keep LuaJIT from
 * compiling the request handler as one trace.
 */
function v4Matcher(this: void, flat: readonly number[]): (this: void, value: number) => boolean {
  const ranges: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) ranges.push([flat[i], flat[i + 1]]);
  table.sort(ranges, (a, b) => a[0] < b[0]);
  const firsts: number[] = [];
  const lasts: number[] = [];
  for (const [first, last] of ranges) {
    const n = lasts.length;
    if (n > 0 && first <= lasts[n - 1] + 1) {
      if (last > lasts[n - 1]) lasts[n - 1] = last;
    } else {
      firsts.push(first);
      lasts.push(last);
    }
  }
  const search = bisectSource(lasts, "v", (index) => index < firsts.length ? `return v >= ${format("%.17g", firsts[index])}` : "return false");
  const [chunk] = loadstring(`return function(v) ${search} end`, "=ip.v4Contains");
  return (chunk as unknown as (this: void) => (this: void, value: number) => boolean)();
}

/**
 * A config parser (see schema.ts) for a list of addresses/CIDRs/"unix:", producing the compiled
 * CidrSet; `default` is used when the key is absent. Usage:
 * `allow: cidrList({ default: ["127.0.0.1", "::1"] })`. Errors read:
 * `key "trusted[2]": expected an IP address, a CIDR or "unix:", found string "10.0.0.300"`.
 */
export function cidrList(this: void, options: { default?: string[] } = {}): Parser<CidrSet> {
  const strings = list(str(), { default: options.default ?? [] });
  return (value, key) => {
    const entries = strings(value, key);
    for (let i = 0; i < entries.length; i++) {
      const [, problem] = compileCidrs([entries[i]]);
      if (problem !== undefined) configError(`${key}[${i + 1}]`, `an IP address, a CIDR or "unix:"`, describe(entries[i]));
    }
    const [set] = compileCidrs(entries);
    return set as CidrSet;
  };
}

/**
 * Formats an IPv6 address given as four 32-bit words the way nginx writes `$remote_addr`
 * (`ngx_inet6_ntop`): lowercase hex without leading zeros, the longest run of two or more zero
 * groups (the first one on a tie) as "::", and ::ffff:a.b.c.d / ::a.b.c.d with a dotted tail.
 */
export function formatIpv6(this: void, w1: number, w2: number, w3: number, w4: number): string {
  groups[0] = floor(w1 / TWO16); groups[1] = w1 % TWO16;
  groups[2] = floor(w2 / TWO16); groups[3] = w2 % TWO16;
  groups[4] = floor(w3 / TWO16); groups[5] = w3 % TWO16;
  groups[6] = floor(w4 / TWO16); groups[7] = w4 % TWO16;
  // The longest run of zero groups (at least 2 long): its start `zero` and length `longest`.
  let zero = -1;
  let longest = 1;
  let run = 0;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    if (groups[k] !== 0) {
      if (run > longest) {
        zero = runStart;
        longest = run;
      }
      run = 0;
    } else {
      if (run === 0) runStart = k;
      run++;
    }
  }
  if (run > longest) {
    zero = runStart;
    longest = run;
  }
  let shown = 8;
  let text = "";
  if (zero === 0) {
    if ((longest === 5 && groups[5] === 65535) || longest === 6 || (longest === 7 && floor(groups[7] / 256) !== 0 && groups[7] % 256 !== 1)) {
      shown = 6;
    }
    text = ":";
  }
  for (let k = 0; k < shown; k++) {
    if (k === zero) {
      text += ":";
      k += longest - 1;
      continue;
    }
    text += format("%x", groups[k]);
    if (k < 7) text += ":";
  }
  if (shown === 6) {
    text += `${floor(groups[6] / 256)}.${groups[6] % 256}.${floor(groups[7] / 256)}.${groups[7] % 256}`;
  }
  return text;
}

/**
 * Formats an address given as family and words (see `parseAddress`) as nginx writes
 * `$remote_addr`: dotted quad for family 4, `formatIpv6` otherwise.
 */
export function formatAddress(this: void, family: number, w1: number, w2: number, w3: number, w4: number): string {
  if (family === IPV4) {
    return `${floor(w4 / 16777216)}.${floor(w4 / 65536) % 256}.${floor(w4 / 256) % 256}.${w4 % 256}`;
  }
  return formatIpv6(w1, w2, w3, w4);
}
