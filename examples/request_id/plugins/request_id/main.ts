// request_id: every request carries an id in one header (X-Request-Id by default), to the
// upstream and back to the client. A well-formed id the client sent is kept (unless
// trust_incoming is false); otherwise nginx's own $request_id (32 hex digits) is used.
import { load } from "./config";
import { headerVariable, isValidId } from "./id";

// Everything derived from the configuration is computed once, when nginx loads the plugin.
const [config] = load();
const header = config?.header ?? "X-Request-Id";
const variable = headerVariable(header);
const trustIncoming = config?.trust_incoming ?? false;
const maxLength = config?.max_length ?? 0;
const echo = config?.echo ?? false;

/** rewrite: keeps a good incoming id, or sets a fresh one, before the request is proxied. */
function rewrite(this: void): void {
  if (config === undefined) return;
  const vars = ngx.var;
  if (trustIncoming && isValidId(vars[variable], maxLength)) return;
  ngx.req.set_header(header, vars.request_id);
}

/** header_filter: sends the request's id back to the client. */
function header_filter(this: void): void {
  if (!echo) return;
  ngx.header[header] = ngx.var[variable];
}

const plugin: Plugin = { name: "request_id", rewrite, header_filter };
export = plugin;
