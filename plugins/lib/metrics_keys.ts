// Metric series ids and shared-dict keys (used by plugins/lib/metrics_core.ts when a series is
// created, and by plugins/lib/metrics_store.ts when a scrape renders). Never per request.
import * as buffer from "string.buffer";
import * as text from "./exposition";
import { Kind, type Family } from "./metrics_core";

// Series strings start with DISC_LENGTH hex digits hashed from the label values, and the
// exposition text follows. LuaJIT (2.1-beta3) hashes a long string from 4 samples of it, so
// thousands of keys that differ only mid-string (`...,host="a1.example.com",le="0.5"}`) would
// share one hash chain and make every new string cost O(n); the leading digits spread them.
// The bare exposition text is never made a Lua string: a buffer view skips the digits.
export const DISC_LENGTH = 8;
const builder = buffer.new();
export const view = buffer.new();
const crc32 = ngx.crc32_short;

/** `value` as 8 hex digits. */
export function hex(this: void, value: number): string {
  return string.format("%08x", value);
}

/** `view` as a buffer's argument: `put` appends another buffer's contents. */
export function viewArg(this: void): string {
  return view as unknown as string;
}

/** The dict key: the digits, then `name{pairs[,extra]}` (braces only when there is a pair). */
function key(this: void, disc: string, name: string, hasPairs: boolean, extra: string | undefined): string {
  builder.reset();
  builder.put(disc, name);
  if (hasPairs || extra !== undefined) builder.put("{");
  if (hasPairs) builder.put(viewArg());
  if (hasPairs && extra !== undefined) builder.put(",");
  if (extra !== undefined) builder.put(extra);
  if (hasPairs || extra !== undefined) builder.put("}");
  return builder.tostring();
}

/**
 * Dict keys of a series from its id (digits + label pairs): its name, or for a histogram each
 * bucket, then _sum and _count.
 */
export function seriesKeys(this: void, f: Family, id: string): string[] {
  const disc = string.sub(id, 1, DISC_LENGTH);
  const hasPairs = id.length > DISC_LENGTH;
  view.set(id);
  view.skip(DISC_LENGTH);
  const keys: string[] = [];
  if (f.kind === Kind.Histogram) {
    const bucketName = `${f.name}_bucket`;
    for (let i = 0; i <= f.boundCount; i++) {
      const bound = i < f.boundCount ? text.bucketBound(f.bounds[i]) : "+Inf";
      keys.push(key(disc, bucketName, hasPairs, `le="${bound}"`));
    }
    keys.push(key(disc, `${f.name}_sum`, hasPairs, undefined));
    keys.push(key(disc, `${f.name}_count`, hasPairs, undefined));
  } else {
    keys.push(key(disc, f.name, hasPairs, undefined));
  }
  return keys;
}

/** A series id: hex digits hashed from the escaped values, then `a="x",b="y"`. */
export function seriesId(this: void, layout: number, names: string[], escaped: string[]): string {
  let hash = layout;
  for (const value of escaped) hash = (hash * 31 + crc32(value)) % 4294967296;
  builder.reset();
  builder.putf("%08x", hash);
  for (let i = 0; i < escaped.length; i++) {
    if (i > 0) builder.put(",");
    builder.put(names[i], '="', escaped[i], '"');
  }
  return builder.tostring();
}

