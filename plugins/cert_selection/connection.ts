// The `SSL *` of the handshake being served, for the OpenSSL calls ngx.ssl does not wrap.
import * as ffi from "ffi";
import { get_request } from "resty.core.base";

// A lua-nginx-module function (not OpenSSL).
pcall(ffi.cdef, "void *ngx_http_lua_ffi_get_req_ssl_pointer(void *r);");
const sslPointer: (this: void, r: unknown) => unknown = ffi.C.ngx_http_lua_ffi_get_req_ssl_pointer;

/** The current connection's `SSL *` (ssl_client_hello and ssl_cert phases), or nil. */
export function connection(this: void): unknown {
  const r = get_request();
  return r !== undefined ? sslPointer(r) : undefined;
}
