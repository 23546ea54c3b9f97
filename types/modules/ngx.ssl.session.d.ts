/** lua-resty-core 0.1.25 `ngx.ssl.session`: TLS session caching in ssl_session_fetch/store_by_lua*. */
declare module "ngx.ssl.session" {
  /** The current session serialized (DER) for storing, or nil and err. Phases: ssl_session_store. */
  export function get_serialized_session(this: void): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** The session id (hex) the client offered or nginx created, or nil and err. Phases: ssl_session_fetch, ssl_session_store. */
  export function get_session_id(this: void): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Resumes the handshake with a stored serialized session; true, or nil and err. Phases: ssl_session_fetch. */
  export function set_serialized_session(this: void, session: string): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
