// Shared nginx set-ups for real_ip's tests: one nginx holding a server that runs the plugin and a
// server that runs nginx's own realip module with the same settings, each answering with the
// address it resolved.
import { startNginx, PHASE_HOOKS, type Nginx } from "../../harness/nginx.mjs";

export interface Setting {
  trusted: string[];
  header: string;
  recursive: boolean;
}

/** nginx directives of the C realip module for a setting. */
export function realipDirectives(setting: Setting): string {
  const from = setting.trusted.map((entry) => `set_real_ip_from ${entry};`).join(" ");
  return `${from} real_ip_header ${setting.header}; real_ip_recursive ${setting.recursive ? "on" : "off"};`;
}

/**
 * The plugin server answers "clientIp|clientPort" as plugins.lib.client gives them in the content
 * phase ("-|" when unchanged), after the rewrite handler rewrote the headers: for the settings
 * resolved on demand this checks that the rewritten headers resolve to nginx's answer.
 */
export const PLUGIN_ECHO = `location / { content_by_lua_block {
  local ip, port = require("plugins.lib.client").clientAddress()
  if ip == ngx.var.remote_addr and port == ngx.var.remote_port then ngx.say("-|") else ngx.say(ip, "|", port or "") end
} }`;

/** Starts nginx with the plugin on `nginx.port` and C realip on `nginx.ports.c`. */
export function startPair(setting: Setting, extraHttp = ""): Promise<Nginx> {
  return startNginx({
    plugins: ["real_ip"],
    config: { real_ip: setting },
    ports: ["c"],
    http: `large_client_header_buffers 4 128k; ${extraHttp}`,
    servers: ({ port, ports }) => `
    server {
        listen 127.0.0.1:${port};
${PHASE_HOOKS}
        ${PLUGIN_ECHO}
    }
    server {
        listen 127.0.0.1:${ports.c};
        ${realipDirectives(setting)}
        location / { return 200 "$remote_addr|$remote_port|$realip_remote_addr|$realip_remote_port\\n"; }
    }`,
  });
}

/** The C server's answer in the plugin's form: "addr|port" when realip changed the address, else "-|". */
export function normalizeC(body: string): string {
  const [addr, port, peer, peerPort] = body.trim().split("|");
  return addr !== peer || port !== peerPort ? `${addr}|${port}` : "-|";
}

/** error.log lines of a request (they name the client) above info. */
export function requestLogLines(nginx: Nginx): string[] {
  return nginx.errorLog().split("\n").filter((line) => /\[(notice|warn|error|crit|alert|emerg)\]/.test(line) && /client: /.test(line));
}
