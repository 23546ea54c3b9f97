// Prometheus text format 0.0.4, the pure parts: names, label values, HELP text and sample
// values. Pure Lua (no ngx), so busted tests it alone; used by plugins/lib/metrics.ts when a
// series is created or a scrape is rendered, never per request.

const find = string.find;
const gsub = string.gsub;
const byte = string.byte;
const sub = string.sub;
const char = string.char;
const concat = table.concat;

/** Longest label value kept, in bytes; longer values are cut (then made valid UTF-8). */
export const MAX_LABEL_BYTES = 1024;

/** The replacement character U+FFFD, put in place of each invalid UTF-8 sequence. */
const REPLACEMENT = char(0xef, 0xbf, 0xbd);

/** Lua pattern matching any byte >= 0x80 (built from bytes: TS strings are UTF-16). */
const HIGH_BYTE = `[${char(0x80)}-${char(0xff)}]`;

/** Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isMetricName(this: void, name: unknown): boolean {
  return type(name) === "string" && find(name as string, "^[%a_:][%w_:]*$")[0] !== undefined;
}

/** Label names: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved). */
export function isLabelName(this: void, name: unknown): boolean {
  if (type(name) !== "string") return false;
  return find(name as string, "^[%a_][%w_]*$")[0] !== undefined && find(name as string, "^__")[0] === undefined;
}

/** Length of the valid UTF-8 sequence starting at byte `i` of `text`, or 0 when invalid there. */
function sequenceLength(this: void, text: string, i: number): number {
  const [b1, b2, b3, b4] = byte(text, i, i + 3);
  if (b1 < 0x80) return 1;
  const cont2 = b2 !== undefined && b2 >= 0x80 && b2 <= 0xbf;
  const cont3 = b3 !== undefined && b3 >= 0x80 && b3 <= 0xbf;
  const cont4 = b4 !== undefined && b4 >= 0x80 && b4 <= 0xbf;
  if (b1 >= 0xc2 && b1 <= 0xdf) return cont2 ? 2 : 0;
  if (b1 === 0xe0) return b2 !== undefined && b2 >= 0xa0 && b2 <= 0xbf && cont3 ? 3 : 0;
  if (b1 === 0xed) return b2 !== undefined && b2 >= 0x80 && b2 <= 0x9f && cont3 ? 3 : 0; // no surrogates
  if (b1 >= 0xe1 && b1 <= 0xef) return cont2 && cont3 ? 3 : 0;
  if (b1 === 0xf0) return b2 !== undefined && b2 >= 0x90 && b2 <= 0xbf && cont3 && cont4 ? 4 : 0;
  if (b1 >= 0xf1 && b1 <= 0xf3) return cont2 && cont3 && cont4 ? 4 : 0;
  if (b1 === 0xf4) return b2 !== undefined && b2 >= 0x80 && b2 <= 0x8f && cont3 && cont4 ? 4 : 0;
  return 0;
}

/** `text` with every invalid UTF-8 sequence replaced by U+FFFD (one per invalid byte). */
export function validUtf8(this: void, text: string): string {
  if (find(text, HIGH_BYTE)[0] === undefined) return text;
  const parts: string[] = [];
  const length = text.length;
  let start = 1;
  let i = 1;
  while (i <= length) {
    const size = sequenceLength(text, i);
    if (size === 0) {
      if (i > start) parts.push(sub(text, start, i - 1));
      parts.push(REPLACEMENT);
      i++;
      start = i;
    } else {
      i += size;
    }
  }
  if (start <= length) parts.push(sub(text, start, length));
  return concat(parts);
}

const LABEL_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n" };

/**
 * A label value as it appears between the quotes: at most MAX_LABEL_BYTES bytes, valid UTF-8,
 * with `\`, `"` and newline escaped. Numbers are written with tostring, nil is "".
 */
export function labelValue(this: void, value: unknown): string {
  let text = value === undefined ? "" : type(value) === "string" ? (value as string) : tostring(value);
  if (text.length > MAX_LABEL_BYTES) text = sub(text, 1, MAX_LABEL_BYTES);
  text = validUtf8(text);
  if (find(text, '[\\"\n]')[0] === undefined) return text;
  return gsub(text, '[\\"\n]', LABEL_ESCAPES)[0];
}

/** HELP text escaped (`\` and newline) and made valid UTF-8. */
export function helpText(this: void, help: string): string {
  const text = validUtf8(help);
  return gsub(text, "[\\\n]", LABEL_ESCAPES)[0];
}

const huge = math.huge;

/** A sample value: integers and decimals as Lua prints them, `+Inf`, `-Inf`, `NaN`. */
export function sampleValue(this: void, value: number): string {
  if (value !== value) return "NaN";
  if (value === huge) return "+Inf";
  if (value === -huge) return "-Inf";
  return tostring(value);
}

/** A bucket bound as the `le` label shows it (`0.005`, `1`, `+Inf`), like Go's client does. */
export function bucketBound(this: void, bound: number): string {
  return sampleValue(bound);
}
