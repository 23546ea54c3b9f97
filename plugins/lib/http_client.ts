// A small HTTP/1.1 client over `ngx.socket.tcp` (cosockets), for plugins that call other
// services: an OpenID Provider's discovery, JWKS and token endpoints, a log sink.
//
// Cosockets run in rewrite, access, content, timer and ssl_cert code only. From init,
// header_filter, body_filter and log, call `request` inside `ngx.timer.at(0, fn, ...)`.
// HTTPS verifies the server against `lua_ssl_trusted_certificate` (and checks its name) unless
// `sslVerify` is false. Host names need nginx's `resolver` directive; IP literals do not.

/** Connect, send and read timeouts in milliseconds. */
export interface Timeouts {
  /** Time to open the TCP connection (and finish the TLS handshake). Default 5000. */
  connect?: number;
  /** Time allowed for each send. Default 5000. */
  send?: number;
  /** Time allowed between two reads of the response. Default 5000. */
  read?: number;
}

/** What `request` sends, and how. */
export interface RequestOptions {
  /** Request method, upper case. Default "GET" ("POST" when a body is given). */
  method?: string;
  /** Absolute `http://` or `https://` URL; IPv6 literal hosts in brackets (`http://[::1]:8080/x`). */
  url: string;
  /** Request header fields by name. Host, Content-Length and Connection are set by the client. */
  headers?: LuaTable<string, string> | { [name: string]: string };
  /** Request body; sent with a Content-Length. */
  body?: string;
  /** One timeout in ms for connect, send and read, or each separately. */
  timeout?: number | Timeouts;
  /**
   * Keep the connection in the worker's pool for the next request to the same server (when the
   * server allows it). Default true. `idleTimeout` (ms, default 60000) and `poolSize` (default 16).
   */
  keepalive?: boolean | { idleTimeout?: number; poolSize?: number };
  /** HTTPS: verify the certificate chain and name (default true). */
  sslVerify?: boolean;
  /** HTTPS: the name sent as SNI and checked against the certificate; default the URL's host. */
  serverName?: string;
  /** Largest response body accepted, in bytes (default 1 MiB); larger answers are an error. */
  maxBodySize?: number;
}

/** A complete response. */
export interface Response {
  /** Status code (100-599). */
  status: number;
  /** Header fields by lower-case name; repeated fields joined with ", ". */
  headers: LuaTable<string, string>;
  /** The whole body ("" when there is none). */
  body: string;
}

/** A URL split into what a request needs. */
export interface ParsedUrl {
  /** "http" or "https". */
  scheme: "http" | "https";
  /** Host name or IP address; IPv6 without brackets. */
  host: string;
  /** Host as `connect` takes it (IPv6 in brackets). */
  connectHost: string;
  /** Port number (80 / 443 by default). */
  port: number;
  /** Path and query, never empty ("/" at least); the fragment removed. */
  target: string;
  /** The Host header value (port omitted when it is the scheme's default). */
  hostHeader: string;
}

const find = string.find;
const sub = string.sub;
const lower = string.lower;
const upper = string.upper;
const match = string.match;
const format = string.format;
const concat = table.concat;
const tcp = ngx.socket.tcp;

const DEFAULT_TIMEOUT = 5000;
const DEFAULT_IDLE = 60000;
const DEFAULT_POOL = 16;
const DEFAULT_MAX_BODY = 1048576;
const MAX_HEADER_BYTES = 65536;
const READ_PIECE = 65536;

/**
 * Splits an absolute http(s) URL. Returns the parts, or nil and why the URL is not usable
 * (other scheme, user info, bad port, spaces or control characters).
 */
export function parseUrl(this: void, url: string): LuaMultiReturn<[ParsedUrl, undefined] | [undefined, string]> {
  if (type(url) !== "string") return $multi(undefined, "the URL must be a string");
  if (find(url, "[%c%s]")[0] !== undefined) return $multi(undefined, `the URL has spaces or control characters: ${format("%q", url)}`);
  const [schemeText, rest] = match(url, "^([%a][%w+.-]*)://(.*)$");
  if (schemeText === undefined) return $multi(undefined, `not an absolute URL: ${url}`);
  const scheme = lower(schemeText);
  if (scheme !== "http" && scheme !== "https") return $multi(undefined, `unsupported URL scheme "${scheme}" (http or https): ${url}`);
  const [authorityEnd] = find(rest as string, "[/?#]");
  const authority = authorityEnd === undefined ? (rest as string) : sub(rest as string, 1, authorityEnd - 1);
  let target = authorityEnd === undefined ? "/" : sub(rest as string, authorityEnd);
  const [hashAt] = find(target, "#", 1, true);
  if (hashAt !== undefined) target = sub(target, 1, hashAt - 1);
  if (sub(target, 1, 1) !== "/") target = `/${target}`;
  if (find(authority, "@", 1, true)[0] !== undefined) return $multi(undefined, `user info in URLs is not supported: ${url}`);
  let host: string | undefined;
  let portText: string | undefined;
  let connectHost: string;
  if (sub(authority, 1, 1) === "[") {
    [host, portText] = match(authority, "^%[([%x:.]+)%]:?(%d*)$");
    if (host === undefined) return $multi(undefined, `bad IPv6 host in URL: ${url}`);
    connectHost = `[${host}]`;
  } else {
    [host, portText] = match(authority, "^([%w.%-_]+):?(%d*)$");
    if (host === undefined) return $multi(undefined, `bad host in URL: ${url}`);
    connectHost = host;
  }
  const defaultPort = scheme === "https" ? 443 : 80;
  let port = defaultPort;
  if (portText !== undefined && portText !== "") {
    port = tonumber(portText) as number;
    if (port < 1 || port > 65535) return $multi(undefined, `bad port in URL: ${url}`);
  } else if (sub(authority, -1) === ":") {
    return $multi(undefined, `empty port in URL: ${url}`);
  }
  const hostHeader = port === defaultPort ? connectHost : `${connectHost}:${port}`;
  return $multi({ scheme: scheme as "http" | "https", host, connectHost, port, target, hostHeader }, undefined);
}

/** Whether a header name is an RFC 9110 token and the value has no CR, LF or NUL. */
function validHeader(this: void, name: unknown, value: unknown): boolean {
  return type(name) === "string" && type(value) === "string" &&
    find(name as string, "^[!#$%%&'*+%-.^_`|~%w]+$")[0] !== undefined &&
    find(value as string, "[%z\r\n]")[0] === undefined;
}

/** The request head (request line and header fields), or nil and which header is invalid. */
function buildHead(this: void, method: string, parsed: ParsedUrl, options: RequestOptions, keepalive: boolean): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const lines: string[] = [`${method} ${parsed.target} HTTP/1.1`, `Host: ${parsed.hostHeader}`];
  let hasUserAgent = false;
  if (options.headers !== undefined) {
    for (const [name, value] of pairs(options.headers as LuaTable<string, string>)) {
      if (!validHeader(name, value)) return $multi(undefined, `invalid request header ${format("%q", tostring(name))}`);
      const key = lower(name);
      if (key === "host" || key === "content-length" || key === "connection" || key === "transfer-encoding") continue;
      if (key === "user-agent") hasUserAgent = true;
      lines.push(`${name}: ${value}`);
    }
  }
  if (!hasUserAgent) lines.push("User-Agent: resty-ts");
  if (options.body !== undefined || method === "POST" || method === "PUT" || method === "PATCH") {
    lines.push(`Content-Length: ${options.body === undefined ? 0 : options.body.length}`);
  }
  lines.push(keepalive ? "Connection: keep-alive" : "Connection: close");
  lines.push("");
  lines.push("");
  return $multi(concat(lines, "\r\n"), undefined);
}

/** Reads the status line and header fields. Returns status, headers, HTTP minor version. */
function readHead(this: void, sock: NgxTcpSocket): LuaMultiReturn<[number, LuaTable<string, string>, string] | [undefined, string, undefined]> {
  const [statusLine, err] = sock.receive("*l");
  if (statusLine === undefined) return $multi(undefined, `reading the status line: ${err}`, undefined);
  const [version, statusText] = match(statusLine, "^HTTP/1%.([01]) (%d%d%d)");
  if (version === undefined) return $multi(undefined, `malformed status line ${format("%q", sub(statusLine, 1, 80))}`, undefined);
  const headers = new LuaTable<string, string>();
  let total = statusLine.length;
  for (;;) {
    const [line, lineErr] = sock.receive("*l");
    if (line === undefined) return $multi(undefined, `reading the response headers: ${lineErr}`, undefined);
    if (line === "") break;
    total += line.length + 2;
    if (total > MAX_HEADER_BYTES) return $multi(undefined, `response headers larger than ${MAX_HEADER_BYTES} bytes`, undefined);
    const [name, value] = match(line, "^([^:%s]+)%s*:%s*(.-)%s*$");
    if (name === undefined) return $multi(undefined, `malformed response header line ${format("%q", sub(line, 1, 80))}`, undefined);
    const key = lower(name);
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? (value as string) : `${previous}, ${value as string}`);
  }
  return $multi(tonumber(statusText) as number, headers, version);
}

/** Reads a chunked body (RFC 9112 7.1) up to `limit` bytes; trailers are read and dropped. */
function readChunked(this: void, sock: NgxTcpSocket, limit: number): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const [line, err] = sock.receive("*l");
    if (line === undefined) return $multi(undefined, `reading a chunk size: ${err}`);
    const [hex] = match(line, "^%s*(%x+)%s*[;]?.*$");
    const chunkSize = hex === undefined || (hex as string).length > 8 ? undefined : tonumber(hex, 16);
    if (chunkSize === undefined) return $multi(undefined, `malformed chunk size line ${format("%q", sub(line, 1, 40))}`);
    if (chunkSize === 0) break;
    size += chunkSize;
    if (size > limit) return $multi(undefined, `response body larger than ${limit} bytes`);
    const [data, dataErr] = sock.receive(chunkSize);
    if (data === undefined) return $multi(undefined, `reading a chunk: ${dataErr}`);
    parts.push(data);
    const [crlf, crlfErr] = sock.receive("*l");
    if (crlf !== "") return $multi(undefined, crlf === undefined ? `reading a chunk end: ${crlfErr}` : "malformed chunk end");
  }
  for (let trailers = 0; ; trailers++) {
    const [line, err] = sock.receive("*l");
    if (line === undefined) return $multi(undefined, `reading the chunked trailer: ${err}`);
    if (line === "") break;
    if (trailers > 100) return $multi(undefined, "too many trailer fields");
  }
  return $multi(concat(parts), undefined);
}

/** Reads the body until the server closes the connection, up to `limit` bytes. */
function readUntilClose(this: void, sock: NgxTcpSocket, limit: number): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const [data, err, partial] = sock.receive(READ_PIECE);
    const piece = data !== undefined ? data : partial;
    if (piece !== undefined && piece !== "") {
      size += piece.length;
      if (size > limit) return $multi(undefined, `response body larger than ${limit} bytes`);
      parts.push(piece);
    }
    if (data === undefined) {
      if (err === "closed") return $multi(concat(parts), undefined);
      return $multi(undefined, `reading the response body: ${err}`);
    }
  }
}

/** Outcome of one attempt on one connection: the response or an error, and what to do next. */
interface Attempt {
  response?: Response;
  err?: string;
  /** The request may be sent again on a new connection (a pooled one was found closed). */
  retry?: boolean;
}

function attempt(this: void, parsed: ParsedUrl, head: string, options: RequestOptions, method: string, keepalive: boolean,
  timeouts: [number, number, number], pool: string, idle: number, poolSize: number, limit: number): Attempt {
  const sock = tcp();
  sock.settimeouts(timeouts[0], timeouts[1], timeouts[2]);
  const [connected, connectErr] = sock.connect(parsed.connectHost, parsed.port, { pool });
  if (connected === undefined) return { err: `connecting to ${parsed.hostHeader}: ${connectErr}` };
  const [reused] = sock.getreusedtimes();
  const wasReused = reused !== undefined && reused > 0;
  if (parsed.scheme === "https" && !wasReused) {
    const name = options.serverName !== undefined ? options.serverName : parsed.host;
    const [session, sslErr] = sock.sslhandshake(false, name, options.sslVerify !== false);
    if (session === undefined) {
      sock.close();
      return { err: `TLS handshake with ${parsed.hostHeader}: ${sslErr}` };
    }
    // lua-nginx-module 0.10.23 reports success when a handshake that finished without waiting
    // failed verification; it has closed the socket, which getreusedtimes tells.
    if (sock.getreusedtimes()[0] === undefined) {
      return { err: `TLS handshake with ${parsed.hostHeader}: certificate verification failed (the "lua ssl certificate" line before this one names why)` };
    }
  }
  const [sent, sendErr] = sock.send(options.body !== undefined ? [head, options.body] : head);
  if (sent === undefined) {
    sock.close();
    return { err: `sending to ${parsed.hostHeader}: ${sendErr}`, retry: wasReused };
  }
  let [status, headersOrErr, version] = readHead(sock);
  // Skip interim 1xx responses (100 Continue, 103 Early Hints).
  while (status !== undefined && status < 200 && status !== 101) [status, headersOrErr, version] = readHead(sock);
  if (status === undefined) {
    sock.close();
    return { err: `${parsed.hostHeader}: ${headersOrErr as string}`, retry: wasReused && find(headersOrErr as string, "closed", 1, true)[0] !== undefined };
  }
  const headers = headersOrErr as LuaTable<string, string>;
  let body = "";
  let framed = true;
  if (method !== "HEAD" && status !== 204 && status !== 304) {
    const transferEncoding = headers.get("transfer-encoding");
    const contentLength = headers.get("content-length");
    let bodyErr: string | undefined;
    if (transferEncoding !== undefined) {
      if (find(lower(transferEncoding), "chunked%s*$")[0] === undefined) {
        sock.close();
        return { err: `${parsed.hostHeader}: unsupported transfer-encoding "${transferEncoding}"` };
      }
      const [chunked, chunkedErr] = readChunked(sock, limit);
      if (chunked !== undefined) body = chunked;
      bodyErr = chunkedErr;
    } else if (contentLength !== undefined) {
      const length = find(contentLength, "^%d+$")[0] !== undefined ? tonumber(contentLength) : undefined;
      if (length === undefined) {
        sock.close();
        return { err: `${parsed.hostHeader}: bad content-length "${contentLength}"` };
      }
      if (length > limit) {
        sock.close();
        return { err: `${parsed.hostHeader}: response body larger than ${limit} bytes` };
      }
      if (length > 0) {
        const [data, err] = sock.receive(length);
        if (data === undefined) bodyErr = `reading the response body: ${err}`;
        else body = data;
      }
    } else {
      framed = false;
      const [rest, restErr] = readUntilClose(sock, limit);
      if (rest !== undefined) body = rest;
      bodyErr = restErr;
    }
    if (bodyErr !== undefined) {
      sock.close();
      return { err: `${parsed.hostHeader}: ${bodyErr}` };
    }
  }
  const connection = headers.get("connection");
  const closing = connection !== undefined ? find(lower(connection), "close", 1, true)[0] !== undefined : version === "0";
  if (keepalive && framed && !closing && status !== 101) sock.setkeepalive(idle, poolSize);
  else sock.close();
  return { response: { status, headers, body } };
}

/**
 * Sends one HTTP/1.1 request and reads the whole response (Content-Length, chunked, or
 * until close; interim 1xx responses skipped). Returns the response for every status, or nil
 * and one line saying what failed (bad URL or header, connect, TLS, timeout, malformed or
 * oversized response). A request that fails on a pooled connection the server had closed is
 * sent once more on a new connection. Allowed where cosockets are: rewrite, access, content,
 * timer, ssl_cert.
 */
export function request(this: void, options: RequestOptions): LuaMultiReturn<[Response, undefined] | [undefined, string]> {
  const [parsed, urlErr] = parseUrl(options.url);
  if (parsed === undefined) return $multi(undefined, urlErr);
  const method = options.method !== undefined ? upper(options.method) : options.body !== undefined ? "POST" : "GET";
  if (find(method, "^%u+$")[0] === undefined) return $multi(undefined, `invalid method ${format("%q", method)}`);
  const keepaliveOption = options.keepalive;
  const keepalive = keepaliveOption !== false;
  let idle = DEFAULT_IDLE;
  let poolSize = DEFAULT_POOL;
  if (type(keepaliveOption) === "table") {
    const settings = keepaliveOption as { idleTimeout?: number; poolSize?: number };
    if (settings.idleTimeout !== undefined) idle = settings.idleTimeout;
    if (settings.poolSize !== undefined) poolSize = settings.poolSize;
  }
  const timeout = options.timeout;
  let timeouts: [number, number, number];
  if (type(timeout) === "number") timeouts = [timeout as number, timeout as number, timeout as number];
  else {
    const t = (timeout ?? {}) as Timeouts;
    timeouts = [t.connect ?? DEFAULT_TIMEOUT, t.send ?? DEFAULT_TIMEOUT, t.read ?? DEFAULT_TIMEOUT];
  }
  const [head, headErr] = buildHead(method, parsed, options, keepalive);
  if (head === undefined) return $multi(undefined, headErr);
  const verify = options.sslVerify !== false;
  // Connections differ by TLS name and verification, so they get separate pools.
  const pool = parsed.scheme === "https"
    ? `resty-ts:https:${parsed.connectHost}:${parsed.port}:${options.serverName ?? parsed.host}:${verify ? "v" : "n"}`
    : `resty-ts:http:${parsed.connectHost}:${parsed.port}`;
  const limit = options.maxBodySize ?? DEFAULT_MAX_BODY;
  let result = attempt(parsed, head, options, method, keepalive, timeouts, pool, idle, poolSize, limit);
  if (result.retry === true) result = attempt(parsed, head, options, method, keepalive, timeouts, pool, idle, poolSize, limit);
  if (result.response !== undefined) return $multi(result.response, undefined);
  return $multi(undefined, result.err as string);
}
