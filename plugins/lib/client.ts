// The client's address as the plugins see it: the one `real_ip` resolved when it is enabled,
// otherwise the TCP peer. json_log, prometheus and openidc read it from here.
//
// real_ip writes ngx.ctx only for requests whose address it changed, and ngx.ctx is not read at
// all when real_ip is not loaded in this Lua VM: reading ngx.ctx costs an FFI call in LuaJIT's
// interpreter and creates the request's ctx table when there was none.

declare global {
  interface RequestContext {
    /** The client address resolved by `real_ip` (set in its rewrite handler, only when it differs from the peer's). */
    clientIp?: string;
    /** The client port resolved by `real_ip`, when the source gave one (set together with clientIp). */
    clientPort?: string;
  }
}

/** Whether real_ip is loaded in this Lua VM: when it is not, nothing can be in ngx.ctx. */
let resolving = false;
const vars = ngx.var;

/** Called by real_ip when it loads: from then on ngx.ctx is consulted. */
export function enableResolution(this: void): void {
  resolving = true;
}

/** The client address: real_ip's result when it changed it for this request, else `$remote_addr`. */
export function clientIp(this: void): string | undefined {
  if (resolving) {
    const resolved = ngx.ctx.clientIp;
    if (resolved !== undefined) return resolved;
  }
  return vars.remote_addr;
}

/** The client port: real_ip's result when it changed the address (nil when the source gave no port), else `$remote_port`. */
export function clientPort(this: void): string | undefined {
  if (resolving) {
    const ctx = ngx.ctx;
    if (ctx.clientIp !== undefined) return ctx.clientPort;
  }
  return vars.remote_port;
}

/** Both at once (one ngx.ctx read): the client address and port as `clientIp` and `clientPort` give them. */
export function clientAddress(this: void): LuaMultiReturn<[string | undefined, string | undefined]> {
  if (resolving) {
    const ctx = ngx.ctx;
    const resolved = ctx.clientIp;
    if (resolved !== undefined) return $multi(resolved, ctx.clientPort);
  }
  return $multi(vars.remote_addr, vars.remote_port);
}
