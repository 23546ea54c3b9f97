// ingress-nginx's example plugin `hello_world`, in TypeScript: a request whose User-Agent is
// exactly "hello" reaches the upstream with the request header `x-hello-world: 1`.

/** rewrite: runs before the request is proxied, so the upstream sees the header. */
function rewrite(this: void): void {
  if (ngx.var.http_user_agent === "hello") ngx.req.set_header("x-hello-world", "1");
}

const plugin: Plugin = { name: "hello_world", rewrite };
export = plugin;
