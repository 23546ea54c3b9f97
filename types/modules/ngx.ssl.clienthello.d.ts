/** lua-resty-core 0.1.25 `ngx.ssl.clienthello`: the ClientHello, in ssl_client_hello_by_lua* only. */
declare module "ngx.ssl.clienthello" {
  /** The SNI the client sent (raw), or nil (no SNI) and maybe an error. */
  export function get_client_hello_server_name(this: void): LuaMultiReturn<[string | undefined, string | undefined]>;
  /** The raw bytes of a ClientHello extension by type number, or nil. */
  export function get_client_hello_ext(this: void, extType: number): LuaMultiReturn<[string | undefined, string | undefined]>;
  /** Restricts the TLS protocols for this connection ("TLSv1.2", "TLSv1.3", ...). */
  export function set_protocols(this: void, protocols: string[]): LuaMultiReturn<[true, undefined] | [undefined, string]>;
}
