// Session resumption must never hand a name another name's certificate. OpenSSL resumes a
// session (ID, ticket or TLS 1.3 PSK) only under the session id context it was made under, so
// each connection gets a context derived from its SNI in ssl_client_hello, before OpenSSL
// looks at the offered session. Runs on every handshake, resumed ones included.
import * as ffi from "ffi";
import { get_request } from "resty.core.base";
// Declares the lua-nginx-module functions behind ngx.ssl.clienthello, called directly below.
import "ngx.ssl.clienthello";
import { setSessionIdContext } from "../lib/openssl";
import { normaliseSni } from "./names";

// A lua-nginx-module function (not OpenSSL): the connection's SSL *.
pcall(ffi.cdef, "void *ngx_http_lua_ffi_get_req_ssl_pointer(void *r);");
const sslPointer: (this: void, r: unknown) => unknown = ffi.C.ngx_http_lua_ffi_get_req_ssl_pointer;
// The SNI straight from lua-nginx-module (ngx.ssl.clienthello's wrapper also checks the phase,
// another FFI call): 0 with the name, -5 without SNI.
const clientHelloName: (this: void, r: unknown, name: unknown, length: unknown, err: unknown) => number =
  ffi.C.ngx_http_lua_ffi_ssl_get_client_hello_server_name;
const namePointer = ffi.new("const char *[1]") as unknown as { [i: number]: unknown };
const nameLength = ffi.new("size_t[1]") as unknown as { [i: number]: number };
const errorText = ffi.new("char *[1]");
const toLuaString = ffi.string;
const md5 = ngx.md5_bin;

/** Context for clients without a usable SNI (they all get the default certificate). */
const NO_NAME = "*no-sni*";
/** OpenSSL's SSL_MAX_SID_CTX_LENGTH: longer names are hashed. */
const MAX_CONTEXT = 32;

/** Ties this handshake's sessions to its normalised SNI. Returns false when it could not. */
export function isolate(this: void): boolean {
  const r = get_request();
  const sni = clientHelloName(r, namePointer, nameLength, errorText) === 0
    ? toLuaString(namePointer[0] as never, nameLength[0]) : undefined;
  const name = normaliseSni(sni);
  const ssl = sslPointer(r);
  if (ssl === undefined) return false;
  // Normalised names never contain '*' or '#': no name equals NO_NAME or a hashed context.
  const context = name === undefined ? NO_NAME : name.length <= MAX_CONTEXT ? name : `#${md5(name)}`;
  return setSessionIdContext(ssl, context);
}
