/** lua-resty-core 0.1.25 `resty.core.base`: internals shared by the FFI-based ngx APIs. */
declare module "resty.core.base" {
  /** The current request (`ngx_http_request_t *` cdata), or nil outside a request context. Phases: all but init, init_worker. */
  export function get_request(this: void): unknown;
  /** FFI return code for success (0). Phases: all. */
  export const FFI_OK: number;
  /** FFI return code for "no such thing" (-5). Phases: all. */
  export const FFI_DECLINED: number;
}
