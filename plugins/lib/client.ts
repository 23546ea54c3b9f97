// The client's address as the plugins see it: the one `real_ip` resolved when it is enabled,
// otherwise the TCP peer. json_log, prometheus and cert_selection's admin API read it from here.
//
// real_ip hands it over in one of two ways, chosen by its settings at load:
// - on demand: a function that works the address out again from the request when asked. With
//   recursive X-Forwarded-For (the default), Forwarded, PROXY protocol or a header real_ip does not
//   rewrite, the headers real_ip leaves for the upstream resolve to the same address, and a
//   request that never reached the rewrite phase (refused at server level) gets the address
//   nginx's realip would give, not the peer. Nothing is stored per request.
// - in ngx.ctx (`clientIp`, `clientPort`), written by real_ip's rewrite handler only when the
//   address changed: for non-recursive X-Forwarded-For (the rewritten header ends with the peer).
// - both, for X-Real-IP as the source: worked out again from the rewritten header, except where
//   that cannot tell (the client's port, an address equal to the peer's), which real_ip keeps in
//   ngx.ctx; the resolver looks there only when the request has a ctx table (`keptAddress`).
// Without real_ip in this Lua VM none is consulted: reading ngx.ctx costs an FFI call and
// creates the request's ctx table when there was none.
import * as ffi from "ffi";
import { get_request } from "resty.core.base";

declare global {
  interface RequestContext {
    /** The client address resolved by `real_ip` (set in its rewrite handler when it keeps it in ngx.ctx and it differs from the peer's). */
    clientIp?: string;
    /** The client port resolved by `real_ip`, when the source gave one (set together with clientIp). */
    clientPort?: string;
  }
}

// lua-nginx-module's lookup behind ngx.ctx (resty.core.ctx declares it too: pcall): the
// request's ctx reference, negative when it has none.
pcall(ffi.cdef, "int ngx_http_lua_ffi_get_ctx_ref(ngx_http_request_t *r, int *in_ssl_phase, int *ssl_ctx_ref);");
const contextRef: (this: void, r: unknown, inSslPhase: unknown, sslContextRef: unknown) => number = ffi.C.ngx_http_lua_ffi_get_ctx_ref;
const inSslPhase = ffi.new("int[1]");
const sslContextRef = ffi.new("int[1]");

/**
 * The address and port real_ip kept in ngx.ctx for this request, or nil: looks only when the
 * request has a ctx table (reading `ngx.ctx` would create one).
 */
export function keptAddress(this: void): LuaMultiReturn<[string, string | undefined] | [undefined, undefined]> {
  const r = get_request();
  if (r === undefined || contextRef(r, inSslPhase, sslContextRef) < 0) return $multi(undefined, undefined);
  const ctx = ngx.ctx;
  const kept = ctx.clientIp;
  if (kept === undefined) return $multi(undefined, undefined);
  return $multi(kept, ctx.clientPort);
}

/** Works the client address and port out from the current request (nil address: the peer's). */
export type Resolver = (this: void) => LuaMultiReturn<[string | undefined, string | undefined]>;

/** Whether real_ip is loaded in this Lua VM: when it is not, the peer is the answer. */
let resolving = false;
/** real_ip's resolver when it hands the address over on demand; nil when it uses ngx.ctx. */
let resolver: Resolver | undefined;
const vars = ngx.var;

/** Called by real_ip when it loads, with its resolver (on demand) or without (ngx.ctx). */
export function enableResolution(this: void, onDemand?: Resolver): void {
  resolving = true;
  resolver = onDemand;
}

/** The client address, as `clientAddress` gives it. */
export function clientIp(this: void): string | undefined {
  const [ip] = clientAddress();
  return ip;
}

/** The client port, as `clientAddress` gives it. */
export function clientPort(this: void): string | undefined {
  const [, port] = clientAddress();
  return port;
}

/** The address and port real_ip kept in ngx.ctx, else the peer's `$remote_addr` and `$remote_port`. */
export function contextAddress(this: void): LuaMultiReturn<[string | undefined, string | undefined]> {
  const ctx = ngx.ctx;
  const resolved = ctx.clientIp;
  if (resolved !== undefined) return $multi(resolved, ctx.clientPort);
  return $multi(vars.remote_addr, vars.remote_port);
}

/**
 * The client address and port: real_ip's result when it changed the address for this request
 * (port nil when the source gave none), else `$remote_addr` and `$remote_port`.
 */
export function clientAddress(this: void): LuaMultiReturn<[string | undefined, string | undefined]> {
  if (!resolving) return $multi(vars.remote_addr, vars.remote_port);
  if (resolver !== undefined) return resolver();
  return contextAddress();
}
