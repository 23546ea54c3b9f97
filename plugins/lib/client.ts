// The client's address as the plugins see it: the one `real_ip` resolved when it is enabled,
// otherwise the TCP peer. json_log, prometheus and openidc read it from here.

declare global {
  interface RequestContext {
    /** The client address resolved by `real_ip` (set in its rewrite handler). */
    clientIp?: string;
    /** The client port resolved by `real_ip`, when the source gave one. */
    clientPort?: string;
  }
}

/** The client address: real_ip's result when it ran for this request, else `$remote_addr`. */
export function clientIp(this: void): string | undefined {
  const resolved = ngx.ctx.clientIp;
  if (resolved !== undefined) return resolved;
  return ngx.var.remote_addr;
}

/** The client port: real_ip's result when it gave one, else `$remote_port` (nil for unix sockets). */
export function clientPort(this: void): string | undefined {
  const ctx = ngx.ctx;
  if (ctx.clientIp !== undefined) return ctx.clientPort;
  return ngx.var.remote_port;
}
