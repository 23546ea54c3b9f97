// Differential test: the same requests through nginx's C realip module and through the plugin,
// over a generated corpus of header sets (valid, malformed, huge), several trusted lists, both
// recursive modes, X-Forwarded-For and X-Real-IP, from several loopback peers. The answers
// (address and port, or "unchanged") must be identical.
import { describe, it, expect, afterAll } from "vitest";
import type { Nginx } from "../../harness/nginx.mjs";
import { rawRequest, pool, type HeaderLine } from "./raw";
import { startPair, normalizeC, requestLogLines, type Setting } from "./setup";

/** A small seeded PRNG (mulberry32) so the corpus is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GOOD = [
  "127.0.0.1", "127.0.0.2", "127.0.0.3", "10.0.0.2", "10.1.2.3", "192.168.1.1", "1.1.1.1", "6.6.6.6", "8.8.8.8",
  "203.0.113.9", "0.0.0.0", "2001:db8::5", "2001:DB8:0:0::7", "2001:0db8:0000:0000:0000:0000:0000:0009", "fe80::1",
  "::ffff:10.0.0.9", "::ffff:127.0.0.1", "::FFFF:6.6.6.6", "2a00::1", "::1", "::", "::1.2.3.4", "1:2:3:4:5:6:7:8",
  "1::", "1:2:3:4:5:6:1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];
const WITH_PORT = [
  "1.1.1.1:80", "10.0.0.2:65535", "6.6.6.6:0080", "[2001:db8::1]:443", "[::1]:8080", "[2001:db8::5]:1", "127.0.0.1:1",
  "[::ffff:10.0.0.9]:99", "2001:db8::1:80",
];
/** Malformed for nginx and for the plugin alike. */
const BAD = [
  "garbage", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:99999999", "[::1]",
  "[::1]:0", "[::1]:65536", "fe80::1%eth0", "[fe80::1%eth0]:80", "1:2:3:4:5:6:7:8:9", "255.255.255.255",
  "::ffff:255.255.255.255", "1.2.3.4:", "_hidden", '"1.2.3.4"', "1.2.3.4;", "::ffff:1.2.3.4:80", "12345::1",
  "1:2:3:4:5:6:7::", "10.0.0.1/8", "\t1.1.1.1", "1.1.1.1\tx", "1.2.3.4:+80", "::ffff:1.2.3", ":::", "1::2::3",
  "[::1", "::1]:80", "1.1.1.1:80:80", "01:2:3:4:5:6:7:8:9", "1.2.3.-4", "for=1.2.3.4", "1.2.3.4x",
];
const SEPARATORS = [", ", ", ", ", ", ",", " ", ",,", " , ", ",  "];

function pick<T>(rand: () => number, items: T[]): T {
  return items[Math.floor(rand() * items.length)];
}

function randomBytes(rand: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    // Any byte but CR, LF and NUL (nginx refuses those in a header with 400, tested too below).
    let code = Math.floor(rand() * 256);
    if (code === 0 || code === 10 || code === 13) code = 0x41;
    text += String.fromCharCode(code);
  }
  return text.replace(/^[ \t]+|[ \t]+$/g, "x");
}

function entry(rand: () => number): string {
  const r = rand();
  if (r < 0.55) return pick(rand, GOOD);
  if (r < 0.72) return pick(rand, WITH_PORT);
  if (r < 0.95) return pick(rand, BAD);
  return randomBytes(rand, 1 + Math.floor(rand() * 12)).replace(/[ ,]/g, "_");
}

function line(rand: () => number): string {
  const r = rand();
  if (r < 0.04) return "";
  const count = 1 + Math.floor(rand() * 5);
  let text = r < 0.08 ? pick(rand, [", ", ","]) : "";
  for (let i = 0; i < count; i++) text += (i > 0 ? pick(rand, SEPARATORS) : "") + entry(rand);
  if (rand() < 0.05) text += pick(rand, [",", " ,", ", ,"]);
  return text;
}

/** The corpus: lists of header values (one per header line). */
function corpus(): string[][] {
  const rand = random(7239);
  const sets: string[][] = [];
  for (let i = 0; i < 240; i++) {
    const r = rand();
    const lines = r < 0.72 ? 1 : r < 0.92 ? 2 : 3;
    sets.push(Array.from({ length: lines }, () => line(rand)));
  }
  // Bad and big input: 1,000 entries, 64 KB headers, random bytes.
  const thousandTrusted = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
  sets.push([["6.6.6.6", ...thousandTrusted].join(", ")]);
  sets.push([["6.6.6.6", ...thousandTrusted.slice(0, 500), "garbage", ...thousandTrusted.slice(500)].join(", ")]);
  sets.push([Array.from({ length: 1000 }, () => "1.1.1.1").join(",")]);
  sets.push(["1.1.1.1, ".repeat(7281) + "10.0.0.2"]); // ~64 KB
  sets.push(["x".repeat(65000)]);
  sets.push(["9".repeat(65000)]);
  sets.push([`1.1.1.1, ${" ,".repeat(32000)}10.0.0.2`]);
  sets.push([`1.1.1.1:${"0".repeat(60000)}80`]);
  sets.push([`[${"1:".repeat(20000)}1]:80`]);
  sets.push([`${":".repeat(60000)}`]);
  sets.push([randomBytes(rand, 65000)]);
  for (let i = 0; i < 8; i++) sets.push([randomBytes(rand, 1 + Math.floor(rand() * 200))]);
  sets.push(["", ""]);
  sets.push(["1.1.1.1", ""]);
  sets.push(["", "1.1.1.1"]);
  sets.push(["1.1.1.1", ", 10.0.0.2"]);
  sets.push(["1.1.1.1,", "10.0.0.2"]);
  sets.push(["6.6.6.6", "10.0.0.2, ,", "127.0.0.1"]);
  sets.push(Array.from({ length: 40 }, (_, i) => `10.0.${i}.1`));
  return sets;
}

const SETTINGS: Record<string, Setting> = {};
for (const recursive of [true, false]) {
  const mode = recursive ? "recursive" : "single";
  SETTINGS[`xff-a-${mode}`] = { trusted: ["127.0.0.1", "10.0.0.0/8"], header: "X-Forwarded-For", recursive };
  SETTINGS[`xff-b-${mode}`] = { trusted: ["127.0.0.0/8", "2001:db8::/32", "192.168.0.0/16", "::1"], header: "X-Forwarded-For", recursive };
  SETTINGS[`xrealip-${mode}`] = { trusted: ["127.0.0.1", "127.0.0.3", "1.1.1.1", "10.0.0.0/8", "fe80::/10", "0.0.0.0/32"], header: "X-Real-IP", recursive };
}
const PEERS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

const started: Nginx[] = [];
afterAll(async () => {
  await Promise.all(started.map((nginx) => nginx.stop()));
});

describe("real_ip answers as nginx's realip module", () => {
  const sets = corpus();

  it("has a corpus of at least 200 header sets", () => {
    expect(sets.length).toBeGreaterThanOrEqual(200);
  });

  for (const [name, setting] of Object.entries(SETTINGS)) {
    it(`same address and port as set_real_ip_from/real_ip_header/real_ip_recursive: ${name}`, async () => {
      const nginx = await startPair(setting);
      started.push(nginx);
      const cases = sets.map((values, index) => ({ values, from: PEERS[index % PEERS.length] }));
      const mismatches: string[] = [];
      let changed = 0;
      await pool(cases, 8, async ({ values, from }) => {
        const headers: HeaderLine[] = values.map((value) => [setting.header, value]);
        const [plugin, c] = await Promise.all([
          rawRequest({ port: nginx.port, from, headers }),
          rawRequest({ port: nginx.ports.c, from, headers }),
        ]);
        const expected = c.status === 200 ? normalizeC(c.body) : `status ${c.status}`;
        const got = plugin.status === 200 ? plugin.body.trim() : `status ${plugin.status}`;
        if (expected !== "-|") changed++;
        if (got !== expected) mismatches.push(`from ${from} ${JSON.stringify(values).slice(0, 300)}: nginx ${expected}, plugin ${got}`);
      });
      expect(mismatches).toEqual([]);
      // The corpus exercises both outcomes.
      expect(changed).toBeGreaterThan(30);
      expect(changed).toBeLessThan(sets.length - 30);
      expect(requestLogLines(nginx)).toEqual([]);
    }, 120_000);
  }
});
