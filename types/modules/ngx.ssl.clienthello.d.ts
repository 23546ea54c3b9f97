/** lua-resty-core 0.1.25 `ngx.ssl.clienthello`: the ClientHello, in ssl_client_hello_by_lua* only. */
declare module "ngx.ssl.clienthello" {
  /** The SNI host name from the ClientHello; nil when absent; nil and err on failure. Phases: ssl_client_hello. */
  export function get_client_hello_server_name(this: void): LuaMultiReturn<[string, undefined] | [undefined, string | undefined]>;
  /** The raw bytes of extension `ext_type` (a TLS extension number); nil when absent; nil and err on failure. Phases: ssl_client_hello. */
  export function get_client_hello_ext(this: void, ext_type: number): LuaMultiReturn<[string, undefined] | [undefined, string | undefined]>;
  /** The TLS versions the client supports ("TLSv1.3", ...); nil when it sent none; nil and err on failure. Phases: ssl_client_hello. */
  export function get_supported_versions(this: void): LuaMultiReturn<[string[], undefined] | [undefined, string | undefined]>;
  /** Limits the protocols for this handshake ({"TLSv1.2", "TLSv1.3"}); true, or nil and err. Phases: ssl_client_hello. */
  export function set_protocols(this: void, protocols: string[]): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
