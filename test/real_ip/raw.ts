// A raw HTTP/1.1 client for real_ip's tests: any header bytes (Node's http refuses some), several
// lines of one header, a chosen loopback source address (the peer nginx sees), and an optional
// PROXY protocol v1 preamble. One request per connection.
import { connect } from "node:net";

/** A header line: name and value, written as latin1 bytes. */
export type HeaderLine = [name: string, value: string];

export interface RawRequest {
  port: number;
  /** Source address of the connection, e.g. "127.0.0.2" (default 127.0.0.1). */
  from?: string;
  host?: string;
  path?: string;
  headers?: HeaderLine[];
  /** A unix socket path to connect to instead of host:port. */
  socketPath?: string;
  /** A PROXY protocol v1 line without CRLF, e.g. "PROXY TCP4 1.2.3.4 127.0.0.1 5555 80". */
  proxyProtocol?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one request and reads the whole response (the server closes the connection). */
export function rawRequest(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = request.socketPath !== undefined
      ? connect({ path: request.socketPath })
      : connect({ host: request.host ?? "127.0.0.1", port: request.port, localAddress: request.from ?? (request.host?.includes(":") ? "::1" : "127.0.0.1") });
    const chunks: Buffer[] = [];
    socket.setTimeout(20000, () => socket.destroy(new Error("timeout")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const head = split < 0 ? text : text.slice(0, split);
      const [statusLine, ...lines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = split < 0 ? "" : text.slice(split + 4);
      if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body });
    });
    let message = request.proxyProtocol !== undefined ? `${request.proxyProtocol}\r\n` : "";
    const ownConnection = (request.headers ?? []).some(([name]) => name.toLowerCase() === "connection");
    message += `GET ${request.path ?? "/"} HTTP/1.1\r\nHost: localhost\r\n${ownConnection ? "" : "Connection: close\r\n"}`;
    for (const [name, value] of request.headers ?? []) message += `${name}: ${value}\r\n`;
    socket.write(Buffer.from(`${message}\r\n`, "latin1"));
  });
}

function unchunk(body: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) return out;
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Runs `task` over `items` with at most `limit` at a time, keeping the order of results. */
export async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
