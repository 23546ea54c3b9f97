// Session resumption must never hand a name another name's certificate. OpenSSL resumes a
// session (ID, ticket or TLS 1.3 PSK) only under the session id context it was made under, so
// each connection gets a context derived from its SNI in ssl_client_hello, before OpenSSL
// looks at the offered session. Runs on every handshake, resumed ones included.
import * as ffi from "ffi";
import { get_request } from "resty.core.base";
import { get_client_hello_server_name } from "ngx.ssl.clienthello";
import { setSessionIdContext } from "../lib/openssl";
import { normaliseSni } from "./names";

// A lua-nginx-module function (not OpenSSL): the connection's SSL *.
pcall(ffi.cdef, "void *ngx_http_lua_ffi_get_req_ssl_pointer(void *r);");
const sslPointer: (this: void, r: unknown) => unknown = ffi.C.ngx_http_lua_ffi_get_req_ssl_pointer;
const md5 = ngx.md5_bin;

/** Context for clients without a usable SNI (they all get the default certificate). */
const NO_NAME = "*no-sni*";
/** OpenSSL's SSL_MAX_SID_CTX_LENGTH: longer names are hashed. */
const MAX_CONTEXT = 32;

/** Ties this handshake's sessions to its normalised SNI. Returns false when it could not. */
export function isolate(this: void): boolean {
  const [sni] = get_client_hello_server_name();
  const name = normaliseSni(sni);
  const ssl = sslPointer(get_request());
  if (ssl === undefined) return false;
  // Normalised names never contain '*' or '#': no name equals NO_NAME or a hashed context.
  const context = name === undefined ? NO_NAME : name.length <= MAX_CONTEXT ? name : `#${md5(name)}`;
  return setSessionIdContext(ssl, context);
}
