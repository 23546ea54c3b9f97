// Fuzz: thousands of requests with random bytes in the path, the query (raw and %-escaped, so
// decoded values hold any byte), header names and header values, sent raw over pipelined
// connections. Every log line must be one strict JSON object in valid UTF-8, one per request.
import { describe, it, expect, afterEach } from "vitest";
import { type Nginx } from "../../harness/nginx.mjs";
import { accessLog, startLogging, rawExchange, countResponses, rawLines, parseLine } from "./support";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REQUESTS = 5200;
const PARALLEL = 6;
const BATCH = 40;

describe("json_log fuzz", () => {
  it(`writes one strictly valid JSON line per request for ${REQUESTS} random requests`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1000000);
    const random = prng(seed);
    const int = (n: number) => Math.floor(random() * n);
    const hex = (byte: number) => `%${byte.toString(16).padStart(2, "0").toUpperCase()}`;

    /**
     * Bytes for the request target: printable or >= 0x80, %-escapes of any byte, rarely a control
     * byte. In the path nginx refuses %00, %2F, raw % and dot segments (400), so those stay out.
     */
    const targetBytes = (length: number, extraExcluded: string, inPath = false): number[] => {
      const out: number[] = [];
      for (let i = 0; i < length; i++) {
        const roll = random();
        if (roll < 0.15) {
          let byte = int(256);
          while (inPath && (byte === 0 || byte === 0x2f || byte === 0x2e)) byte = int(256);
          for (const c of hex(byte)) out.push(c.charCodeAt(0));
        } else if (roll < 0.45) {
          out.push(0x80 + int(128));
        } else {
          let byte = 0x21 + int(94);
          while (extraExcluded.includes(String.fromCharCode(byte)) || byte === 0x3f || byte === 0x23) byte = 0x21 + int(94);
          out.push(byte);
        }
      }
      return out;
    };
    const headerName = (): number[] => {
      const out: number[] = [];
      const length = 1 + int(12);
      for (let i = 0; i < length; i++) {
        const roll = random();
        if (roll < 0.1) out.push(0x80 + int(128));
        else if (roll < 0.15) out.push("_.~!$"[int(5)].charCodeAt(0));
        else out.push("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"[int(63)].charCodeAt(0));
      }
      return out;
    };
    const headerValue = (): number[] => {
      const out: number[] = [];
      const length = int(40);
      for (let i = 0; i < length; i++) {
        const roll = random();
        if (roll < 0.3) out.push(0x80 + int(128));
        else if (roll < 0.35) out.push([0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f, 0x09][int(9)]);
        else out.push(0x20 + int(95));
      }
      return out;
    };
    const request = (last: boolean): Buffer => {
      const parts: number[] = [];
      const push = (text: string) => { for (const c of text) parts.push(c.charCodeAt(0)); };
      push("GET /");
      parts.push(...targetBytes(int(30), "%.", true));
      if (random() < 0.8) {
        push("?");
        const pairs = 1 + int(5);
        for (let p = 0; p < pairs; p++) {
          if (p > 0) push("&");
          parts.push(...targetBytes(int(8), "&="));
          if (random() < 0.9) { push("="); parts.push(...targetBytes(int(20), "")); }
        }
      }
      // A raw control byte makes nginx answer 400 and close: only in a batch's last request.
      // (Not tab, LF or CR: they would end the request line, an HTTP/0.9 request.)
      if (last && random() < 0.3) parts.push([1, 2, 7, 8, 11, 12, 14, 27, 31][int(9)]);
      push(" HTTP/1.1\r\nHost: fuzz\r\n");
      const headers = int(7);
      for (let h = 0; h < headers; h++) {
        parts.push(...headerName());
        push(": ");
        parts.push(...headerValue());
        push("\r\n");
      }
      if (last) push("Connection: close\r\n");
      push("\r\n");
      return Buffer.from(parts);
    };

    // ignore_invalid_headers off: header names with any byte reach the log instead of being dropped.
    nginx = await startLogging(undefined, { allowLog: [/client sent/], http: "ignore_invalid_headers off;" });
    const port = nginx.port;
    let sent = 0;
    let answered = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        const batch: Buffer[] = [];
        for (let i = 0; i < BATCH && sent < REQUESTS; i++, sent++) batch.push(request(i === BATCH - 1 || sent === REQUESTS - 1));
        const reply = await rawExchange(port, Buffer.concat(batch), 20000);
        answered += countResponses(reply);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    const file = accessLog(nginx);
    const deadline = Date.now() + 15000;
    while (rawLines(file).length < answered && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lines = rawLines(file);
    expect(answered, `seed ${seed}: most requests must be answered`).toBeGreaterThan(REQUESTS * 0.9);
    expect(lines.length, `seed ${seed}`).toBe(answered);
    let withHighBytes = 0;
    let withEscapes = 0;
    for (const raw of lines) {
      try {
        parseLine(raw);
      } catch (error) {
        throw new Error(`seed ${seed}: invalid line ${JSON.stringify(raw.toString("latin1"))}: ${error}`);
      }
      if (raw.some((byte) => byte >= 0x80)) withHighBytes++;
      if (raw.includes("\\ufffd")) withEscapes++;
    }
    // The input did exercise the hard cases: header names with bytes >= 0x80 among them.
    const oddNames = lines.filter((raw) => Object.keys(parseLine(raw).headers as object).some((name) => /[^\x00-\x7f]|\ufffd/.test(name)));
    expect(oddNames.length).toBeGreaterThan(lines.length / 10);
    expect(withHighBytes).toBeGreaterThan(lines.length / 10);
    expect(withEscapes).toBeGreaterThan(lines.length / 2);
  });
});
