// Helpers for cert_selection's e2e tests: an nginx with a TLS server whose certificate comes
// from the plugin, and Node TLS clients that report what they were presented.
import * as tls from "node:tls";
import { connect as netConnect } from "node:net";
import { startNginx, type Nginx, type NginxOptions } from "../../harness/nginx.mjs";
import { makeCert } from "./certs.mjs";

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds; generous deadline, no fixed sleeps. */
export async function eventually(check: () => Promise<boolean>, what: string, deadlineMs = 15000) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** What one TLS connection saw. */
export interface Seen {
  /** DNS names of the presented certificate (subjectAltName, else CN). */
  names: string[];
  /** "rsa" or "ec". */
  keyType: string;
  /** The worker that answered GET / on that connection (when `request` was set). */
  worker?: string;
  reused: boolean;
  session?: Buffer;
  protocol: string | null;
}

/**
 * Connects with Node's TLS client (no verification: the test checks the names itself),
 * optionally sends GET / to learn the worker id, and reports the certificate presented.
 */
export function probe(port: number, servername: string | undefined, options: tls.ConnectionOptions & { request?: boolean } = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false, ...options });
    let session: Buffer | undefined;
    socket.on("session", (s) => { session = s; });
    socket.once("error", reject);
    socket.setTimeout(10000, () => socket.destroy(new Error("TLS probe timed out")));
    socket.once("secureConnect", () => {
      const reused = socket.isSessionReused();
      const x509 = socket.getPeerX509Certificate();
      // A resumed session presents no certificate.
      if (!x509 && !reused) return reject(new Error("no certificate presented"));
      const san = x509?.subjectAltName;
      const names = !x509 ? [] : san ? san.split(", ").map((n) => n.replace(/^DNS:/, "")) : [/CN=([^\n]+)/.exec(x509.subject)?.[1] ?? ""];
      const seen: Seen = { names, keyType: x509?.publicKey.asymmetricKeyType ?? "", reused, protocol: socket.getProtocol() };
      if (!options.request) {
        // TLS 1.3 sends its tickets after the handshake: read a moment before closing.
        setTimeout(() => { seen.session = session ?? socket.getSession(); socket.end(); resolve(seen); }, 50);
        return;
      }
      let body = "";
      socket.on("data", (chunk) => { body += chunk; });
      socket.once("end", () => {
        seen.worker = /worker=(\d+)/.exec(body)?.[1];
        seen.session = session ?? socket.getSession();
        resolve(seen);
      });
      socket.write(`GET / HTTP/1.1\r\nHost: ${servername ?? "x"}\r\nConnection: close\r\n\r\n`);
    });
  });
}

/** Resolves to the error when the handshake fails, throws when it succeeds. */
export async function refused(port: number, servername: string | undefined, options: tls.ConnectionOptions = {}): Promise<Error> {
  try {
    const seen = await probe(port, servername, options);
    throw new Error(`handshake succeeded with ${seen.names.join(",")}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("handshake succeeded")) throw error;
    return error as Error;
  }
}

/**
 * A TLS 1.2 ClientHello with a raw SNI (any bytes, any length up to 255), sent over a plain
 * socket; resolves to the first byte of the server's answer (0x16 handshake, 0x15 alert) or
 * null when it closed without answering.
 */
export function rawClientHello(port: number, sni: Buffer): Promise<number | null> {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
  const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), u16(data.length), data]);
  const serverName = Buffer.concat([u16(sni.length + 3), Buffer.from([0]), u16(sni.length), sni]);
  const groups = Buffer.from([0, 4, 0, 0x17, 0, 0x1d]);
  const sigalgs = Buffer.from([0, 6, 4, 3, 8, 4, 4, 1]);
  const extensions = Buffer.concat([ext(0, serverName), ext(10, groups), ext(11, Buffer.from([1, 0])), ext(13, sigalgs)]);
  const ciphers = Buffer.from([0xc0, 0x2b, 0xc0, 0x2f]);
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), u16(ciphers.length), ciphers,
    Buffer.from([1, 0]), u16(extensions.length), extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  const record = Buffer.concat([Buffer.from([0x16, 3, 1]), u16(handshake.length), handshake]);
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1", () => socket.write(record));
    socket.setTimeout(5000, () => { socket.destroy(); resolve(null); });
    socket.once("data", (chunk: Buffer) => { socket.destroy(); resolve(chunk[0]); });
    socket.once("error", () => resolve(null));
    socket.once("close", () => resolve(null));
  });
}

/**
 * The TLS server block: placeholder certificate, plugin hooks, GET / answering the worker id.
 * `clientHello`: the ssl_client_hello hook's Lua, "" for none.
 */
export function tlsServer(placeholder: { cert: string; key: string }, extra = "", clientHello = `plugins.run("ssl_client_hello")`) {
  return ({ ports }: { ports: Record<string, number> }) => `
    server {
        listen 127.0.0.1:${ports.tls} ssl;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate ${placeholder.cert};
        ssl_certificate_key ${placeholder.key};
        ssl_session_cache shared:resty_ts_test_sessions:1m;
        ${clientHello !== "" ? `ssl_client_hello_by_lua_block { ${clientHello} }` : ""}
        ssl_certificate_by_lua_block { plugins.run("ssl_cert") }
        ${extra}
        location / { content_by_lua_block { ngx.say("worker=", ngx.worker.id()) } }
    }`;
}

/** Starts nginx with cert_selection configured by `section` and a TLS server on `ports.tls`. */
export async function startGateway(dir: string, section: Record<string, unknown>, options: Partial<NginxOptions> = {}, clientHello?: string): Promise<Nginx> {
  const placeholder = makeCert(dir, "placeholder.invalid", {}, "placeholder");
  const server = tlsServer(placeholder, "", clientHello);
  return startNginx({
    plugins: ["cert_selection"],
    config: { cert_selection: section },
    ports: ["tls"],
    ...options,
    http: (ctx) => `lua_shared_dict resty_ts_certs 16m;\n${typeof options.http === "string" ? options.http : ""}\n${server(ctx)}`,
  });
}
