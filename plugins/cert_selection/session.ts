// The handshake's SNI and session isolation. Session resumption must never hand a name another
// name's certificate: OpenSSL resumes a session (ID, ticket or TLS 1.3 PSK) only under the
// session id context it was made under, so each connection gets a context derived from its SNI
// in ssl_client_hello, before OpenSSL looks at the offered session. Runs on every handshake,
// resumed ones included, so it calls lua-nginx-module directly (the ngx.ssl wrappers each fetch
// the request and check the phase again, cold in the CPU's caches after OpenSSL's work).
import * as ffi from "ffi";
// Declares the lua-nginx-module functions behind ngx.ssl.clienthello and ngx.ssl.
import "ngx.ssl.clienthello";
import "ngx.ssl";
import { setSessionIdContext } from "../lib/openssl";
import { normaliseSni } from "./names";

// A lua-nginx-module function (not OpenSSL).
pcall(ffi.cdef, "void *ngx_http_lua_ffi_get_req_ssl_pointer(void *r);");
/** The connection's `SSL *` for a handshake phase's request `r` (a NULL pointer, equal to nil, when there is none). */
export const connectionSsl: (this: void, r: unknown) => unknown = ffi.C.ngx_http_lua_ffi_get_req_ssl_pointer;
// The SNI: 0 with the name, -5 without. The ClientHello's (ssl_client_hello phase), and
// OpenSSL's record of it (SSL_get_servername: ssl_cert phase).
type NameGetter = (this: void, r: unknown, name: unknown, length: unknown, err: unknown) => number;
const clientHelloName: NameGetter = ffi.C.ngx_http_lua_ffi_ssl_get_client_hello_server_name;
const serverName: NameGetter = ffi.C.ngx_http_lua_ffi_ssl_server_name;
// Where the getters put the name (their declarations differ in constness).
const helloNamePointer = ffi.new("const char *[1]") as unknown as { [i: number]: unknown };
const namePointer = ffi.new("char *[1]") as unknown as { [i: number]: unknown };
const nameLength = ffi.new("size_t[1]") as unknown as { [i: number]: number };
const errorText = ffi.new("char *[1]");
const toLuaString = ffi.string;
const md5 = ngx.md5_bin;

/** Context for clients without a usable SNI (they all get the default certificate). */
const NO_NAME = "*no-sni*";
/** OpenSSL's SSL_MAX_SID_CTX_LENGTH: longer names are hashed. */
const MAX_CONTEXT = 32;

/** The normalised SNI (see names.normaliseSni) of the ClientHello being handled, or nil. */
export function helloName(this: void, r: unknown): string | undefined {
  if (clientHelloName(r, helloNamePointer, nameLength, errorText) !== 0) return undefined;
  return normaliseSni(toLuaString(helloNamePointer[0] as never, nameLength[0]));
}

/** The normalised SNI in the certificate phase, or nil. */
export function certificateName(this: void, r: unknown): string | undefined {
  if (serverName(r, namePointer, nameLength, errorText) !== 0) return undefined;
  return normaliseSni(toLuaString(namePointer[0] as never, nameLength[0]));
}

/** Ties the sessions of connection `ssl` to its normalised SNI `name`. Returns false when it could not. */
export function isolate(this: void, ssl: unknown, name: string | undefined): boolean {
  if (ssl === undefined) return false;
  // Normalised names never contain '*' or '#': no name equals NO_NAME or a hashed context.
  const context = name === undefined ? NO_NAME : name.length <= MAX_CONTEXT ? name : `#${md5(name)}`;
  return setSessionIdContext(ssl, context);
}
