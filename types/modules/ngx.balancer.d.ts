/** lua-resty-core 0.1.25 `ngx.balancer`: choosing the upstream peer in balancer_by_lua*. */
declare module "ngx.balancer" {
  /** Sets the peer of this try (`addr` an IP address, port 0 or absent when `addr` has one); true, or nil and err. Phases: balancer. */
  export function set_current_peer(this: void, addr: string, port?: number): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Allows `count` more tries after this one; true (and a warning when capped by proxy_next_upstream_tries), or nil and err. Phases: balancer. */
  export function set_more_tries(this: void, count: number): LuaMultiReturn<[true, string | undefined] | [undefined, string]>;
  /** Why the previous try failed ("failed" or "next") and its status code; nil on the first try; nil, nil, err on failure. Phases: balancer. */
  export function get_last_failure(this: void): LuaMultiReturn<[string, number, undefined] | [undefined, undefined, string | undefined]>;
  /** Sets connect, send and read timeouts of this try in seconds (nil keeps the configured one); true, or false and err. Phases: balancer. */
  export function set_timeouts(this: void, connect?: number, send?: number, read?: number): LuaMultiReturn<[true, undefined] | [false, string]>;
  /** Rebuilds the upstream request (after changing headers for the next try); true, or nil and err. Phases: balancer. */
  export function recreate_request(this: void): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
