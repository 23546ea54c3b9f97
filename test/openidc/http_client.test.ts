// plugins/lib/http_client.ts in real nginx against raw HTTP/1.1 and TLS servers on loopback:
// body framing, keepalive reuse, TLS verification, size limits, timeouts and bad input.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { startNginx, type Nginx } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";

/** What the raw server answers: bytes to write, and whether to close afterwards. */
type Answer = { raw: string | Buffer; close?: boolean; hang?: boolean };

interface Received { method: string; target: string; headers: string; body: string }

let pki: TestPki;
let nginx: Nginx;
const servers: Server[] = [];
let connections = 0;
const received: Received[] = [];

function respond(status: number, body: string, extra = ""): string {
  return `HTTP/1.1 ${status} X\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

function answer(req: Received, connection: number): Answer {
  const path = req.target.split("?")[0];
  switch (path) {
    case "/len": return { raw: respond(200, "hello", "X-Multi: a\r\nX-Multi: b\r\n") };
    case "/chunked": return { raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n" };
    case "/until-close": return { raw: "HTTP/1.0 200 OK\r\n\r\nuntil close body", close: true };
    case "/close-header": return { raw: respond(200, "bye", "Connection: close\r\n"), close: true };
    case "/continue": return { raw: `HTTP/1.1 100 Continue\r\n\r\n${respond(201, "after 100")}` };
    case "/big": return { raw: respond(200, "x".repeat(5000)) };
    case "/big-chunked": return { raw: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${"y".repeat(4096)}\r\n1000\r\n${"y".repeat(4096)}\r\n0\r\n\r\n` };
    case "/conn": return { raw: respond(200, String(connection)) };
    case "/conn-close": return { raw: respond(200, String(connection), "Connection: close\r\n"), close: true };
    case "/echo": return { raw: respond(200, JSON.stringify(req)) };
    case "/no-content": return { raw: "HTTP/1.1 204 No Content\r\n\r\n" };
    case "/bad-status": return { raw: "HTTP/9 OK\r\n\r\n", close: true };
    case "/bad-length": return { raw: "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", close: true };
    case "/bad-chunk": return { raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", close: true };
    case "/short": return { raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", close: true };
    case "/hang": return { raw: "", hang: true };
    default: return { raw: respond(404, "no") };
  }
}

/** A minimal HTTP/1.1 server that answers pipelined requests on one connection in order. */
const sockets = new Set<Socket>();
function serve(socket: Socket): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  const connection = ++connections;
  let buffer: Buffer = Buffer.alloc(0);
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString("latin1");
      buffer = buffer.subarray(end + 4 + length);
      const [requestLine, ...headerLines] = head.split("\r\n");
      const [method, target] = requestLine.split(" ");
      const req = { method, target, headers: headerLines.join("\n"), body };
      received.push(req);
      const reply = answer(req, connection);
      if (reply.hang) return;
      socket.write(reply.raw);
      if (reply.close) { socket.end(); return; }
    }
  });
}

function listen(server: Server, host: string): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

let plainPort: number;
let v6Port: number;
let tlsPort: number;
let untrustedPort: number;

/** Runs http_client.request in nginx with these options (`repeat` times) and returns what it gave. */
async function call(options: Record<string, unknown>, repeat = 1): Promise<{ res?: { status: number; headers: Record<string, string>; body: string }; err?: string }[]> {
  const response = await nginx.fetch("/call", { method: "POST", body: JSON.stringify({ options, repeat }) });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

async function one(options: Record<string, unknown>) {
  return (await call(options))[0];
}

beforeAll(async () => {
  pki = makePki();
  plainPort = await listen(createTcpServer(serve), "127.0.0.1");
  v6Port = await listen(createTcpServer(serve), "::1");
  tlsPort = await listen(createTlsServer({ cert: pki.cert, key: pki.key }, serve), "127.0.0.1");
  untrustedPort = await listen(createTlsServer({ cert: pki.untrustedCert, key: pki.untrustedKey }, serve), "127.0.0.1");
  nginx = await startNginx({
    http: `lua_ssl_trusted_certificate ${pki.caFile}; lua_ssl_verify_depth 2; client_body_buffer_size 64k;`,
    locations: `location = /call { content_by_lua_block {
      local http = require("plugins.lib.http_client")
      local cjson = require("cjson")
      ngx.req.read_body()
      local input = cjson.decode(ngx.req.get_body_data())
      local out = {}
      for i = 1, input["repeat"] do
        local res, err = http.request(input.options)
        out[i] = { res = res, err = err }
      end
      ngx.say(cjson.encode(out))
    } }`,
    allowLog: [/lua tcp socket read timed out/, /lua ssl certificate does not match host/, /lua ssl certificate verify error/, /SSL_do_handshake\(\) failed/, /lua tcp socket connect timed out/],
  });
});

afterAll(async () => {
  await nginx?.stop();
  for (const server of servers) server.close();
});

describe("http_client", () => {
  it("reads a Content-Length body, lower-cases header names and joins repeated ones", async () => {
    const { res, err } = await one({ url: `http://127.0.0.1:${plainPort}/len` });
    expect(err).toBeUndefined();
    expect(res?.status).toBe(200);
    expect(res?.body).toBe("hello");
    expect(res?.headers["x-multi"]).toBe("a, b");
  });

  it("reads chunked bodies (extensions and trailers ignored) and bodies delimited by close", async () => {
    expect((await one({ url: `http://127.0.0.1:${plainPort}/chunked` })).res?.body).toBe("hello world");
    expect((await one({ url: `http://127.0.0.1:${plainPort}/until-close` })).res?.body).toBe("until close body");
    expect((await one({ url: `http://127.0.0.1:${plainPort}/no-content` })).res?.status).toBe(204);
    const interim = await one({ url: `http://127.0.0.1:${plainPort}/continue` });
    expect(interim.res?.status).toBe(201);
    expect(interim.res?.body).toBe("after 100");
  });

  it("sends method, headers and body, and sets Host, Content-Length and Connection itself", async () => {
    const { res } = await one({
      url: `http://127.0.0.1:${plainPort}/echo?a=1&b=2#frag`, method: "post", body: "x=1&y=2",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: "evil", Connection: "upgrade" },
    });
    const echoed = JSON.parse(res!.body) as Received;
    expect(echoed.method).toBe("POST");
    expect(echoed.target).toBe("/echo?a=1&b=2");
    expect(echoed.body).toBe("x=1&y=2");
    expect(echoed.headers).toContain(`Host: 127.0.0.1:${plainPort}`);
    expect(echoed.headers).toContain("Content-Length: 7");
    expect(echoed.headers).toContain("Content-Type: application/x-www-form-urlencoded");
    expect(echoed.headers).toContain("Connection: keep-alive");
    expect(echoed.headers).not.toContain("evil");
    expect(echoed.headers).not.toContain("upgrade");
  });

  it("reuses a kept-alive connection, and opens a new one after the server closed it", async () => {
    const ids = async (path: string, extra = {}) =>
      new Set((await call({ url: `http://127.0.0.1:${plainPort}${path}`, ...extra }, 4)).map((r) => r.err ?? r.res?.body)).size;
    expect(await ids("/conn")).toBe(1);
    expect(await ids("/conn-close")).toBe(4);
    expect(await ids("/conn", { keepalive: false })).toBe(4);
    // The server closed a pooled connection: the request goes out again on a new one.
    const [first] = await call({ url: `http://127.0.0.1:${plainPort}/conn` });
    for (const socket of sockets) socket.destroy();
    const [second] = await call({ url: `http://127.0.0.1:${plainPort}/conn` });
    expect(second.err).toBeUndefined();
    expect(second.res?.body).not.toBe(first.res?.body);
  });

  it("talks to IPv6 literal hosts", async () => {
    const { res, err } = await one({ url: `http://[::1]:${v6Port}/echo` });
    expect(err).toBeUndefined();
    expect(JSON.parse(res!.body).headers).toContain(`Host: [::1]:${v6Port}`);
  });

  it("verifies HTTPS servers against lua_ssl_trusted_certificate and reuses TLS connections", async () => {
    const results = await call({ url: `https://127.0.0.1:${tlsPort}/conn` }, 3);
    expect(results[0].err).toBeUndefined();
    expect(new Set(results.map((r) => r.res?.body)).size).toBe(1);
    expect((await one({ url: `https://localhost:${tlsPort}/len`, serverName: "localhost" })).err).toMatch(/resolver|localhost/);
    const untrusted = await one({ url: `https://127.0.0.1:${untrustedPort}/len` });
    expect(untrusted.res).toBeUndefined();
    expect(untrusted.err).toMatch(/TLS handshake with 127\.0\.0\.1:\d+: .*(certificate|verify)/);
    const wrongName = await one({ url: `https://127.0.0.1:${tlsPort}/len`, serverName: "other.example" });
    expect(wrongName.err).toMatch(/TLS handshake.*(certificate|host|name)/);
    expect((await one({ url: `https://127.0.0.1:${untrustedPort}/len`, sslVerify: false })).res?.body).toBe("hello");
  });

  it("refuses bodies over the size limit, whatever their framing", async () => {
    expect((await one({ url: `http://127.0.0.1:${plainPort}/big`, maxBodySize: 4096 })).err).toMatch(/larger than 4096 bytes/);
    expect((await one({ url: `http://127.0.0.1:${plainPort}/big-chunked`, maxBodySize: 6000 })).err).toMatch(/larger than 6000 bytes/);
    expect((await one({ url: `http://127.0.0.1:${plainPort}/big-chunked` })).res?.body).toBe("y".repeat(8192));
  });

  it("answers malformed responses, truncation and timeouts with one clear error", async () => {
    const url = (path: string) => `http://127.0.0.1:${plainPort}${path}`;
    expect((await one({ url: url("/bad-status") })).err).toMatch(/malformed status line/);
    expect((await one({ url: url("/bad-length") })).err).toMatch(/bad content-length/);
    expect((await one({ url: url("/bad-chunk") })).err).toMatch(/malformed chunk size/);
    expect((await one({ url: url("/short") })).err).toMatch(/reading the response body: closed/);
    expect((await one({ url: url("/hang"), timeout: 200 })).err).toMatch(/reading the status line: timeout/);
    const refused = await one({ url: `http://127.0.0.1:1/x`, timeout: 500 });
    expect(refused.err).toMatch(/connecting to 127\.0\.0\.1:1: /);
  });

  it("refuses bad URLs, methods and header injection before connecting", async () => {
    const before = received.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: "ftp://127.0.0.1/x" }, /unsupported URL scheme "ftp"/],
      [{ url: "/relative" }, /not an absolute URL/],
      [{ url: "http://user:pw@127.0.0.1/" }, /user info/],
      [{ url: "http://127.0.0.1:99999/" }, /bad port/],
      [{ url: "http://127.0.0.1/a b" }, /spaces or control characters/],
      [{ url: "http://[zz]/" }, /bad IPv6 host/],
      [{ url: `http://127.0.0.1:${plainPort}/`, method: "GET /x" }, /invalid method/],
      [{ url: `http://127.0.0.1:${plainPort}/`, headers: { "X-A": "1\r\nX-Injected: 1" } }, /invalid request header "X-A"/],
      [{ url: `http://127.0.0.1:${plainPort}/`, headers: { "Bad Name": "1" } }, /invalid request header/],
    ];
    for (const [options, error] of cases) expect((await one(options)).err).toMatch(error);
    expect(received.length).toBe(before);
  });
});
