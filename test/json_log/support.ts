// Shared by the json_log tests: an nginx whose access_log writes the json_log variable, strict
// reading of the log lines, and raw HTTP over a socket (for bytes fetch() refuses to send).
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { expect } from "vitest";
import { startNginx, type Nginx, type NginxOptions } from "../../harness/nginx.mjs";

/** A strict UTF-8 decoder: throws on any malformed byte sequence. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses one log line strictly: valid UTF-8, one JSON object, no raw control bytes. */
export function parseLine(raw: Buffer): Record<string, unknown> {
  const text = strictUtf8.decode(raw);
  expect(text).not.toMatch(/[\u0000-\u001f]/);
  const value = JSON.parse(text);
  expect(typeof value).toBe("object");
  expect(Array.isArray(value)).toBe(false);
  return value;
}

/** The raw lines of a file (without the final empty piece). */
export function rawLines(file: string): Buffer[] {
  if (!existsSync(file)) return [];
  const data = readFileSync(file);
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a) {
      lines.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  expect(start, `${file} ends without a newline`).toBe(data.length);
  return lines;
}

/** Polls until `file` holds at least `count` lines (generous deadline); returns them parsed. */
export async function waitForEntries(file: string, count: number, timeoutMs = 15000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = rawLines(file);
    if (lines.length >= count) return lines.map(parseLine);
    if (Date.now() > deadline) throw new Error(`${file}: ${lines.length} lines, expected ${count}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The access log file the variable sink's nginx writes. */
export function accessLog(nginx: Nginx): string {
  return join(nginx.prefix, "logs", "json.log");
}

/**
 * Starts nginx with json_log on the variable sink: `access_log logs/json.log` with
 * `log_format ... escape=none '$json_log'`, as the README recommends.
 */
export function startLogging(section: Record<string, unknown> | undefined, options: NginxOptions = {}): Promise<Nginx> {
  const config = { ...(options.config ?? {}) } as Record<string, unknown>;
  if (section !== undefined) config.json_log = section;
  return startNginx({
    plugins: ["json_log", ...(options.plugins ?? [])],
    ...options,
    config,
    http: (ctx) => `log_format json_log escape=none '$json_log';
    large_client_header_buffers 4 128k;
    ${typeof options.http === "function" ? options.http(ctx) : options.http ?? ""}`,
    serverExtra: (ctx) => `set $json_log "";
        access_log ${ctx.prefix}/logs/json.log json_log;
        ${typeof options.serverExtra === "function" ? options.serverExtra(ctx) : options.serverExtra ?? ""}`,
  });
}

/** Sends raw request bytes on one connection and resolves with everything received until close. */
export function rawExchange(port: number, request: Buffer | string, timeoutMs = 10000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error("raw exchange timed out")); }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => { clearTimeout(timer); reject(error); });
    socket.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
    socket.end(request);
  });
}

/**
 * Counts the HTTP responses in a raw stream: "ok" answers by their status line, nginx's error
 * pages by their end (a request line nginx cannot parse gets an HTTP/0.9 answer: no status line).
 */
export function countResponses(stream: Buffer): number {
  const text = stream.toString("latin1");
  return (text.match(/HTTP\/1\.1 200 /g) ?? []).length + (text.match(/<\/html>/g) ?? []).length;
}
