// `npm start` demo of real_ip: loopback and private networks are trusted proxies; /real-ip shows
// what the plugin resolved, what the upstream would receive, and $remote_addr following it
// through the location-level realip recipe.
const TRUSTED = ["127.0.0.1", "::1", "10.0.0.0/8", "192.168.0.0/16"];

export default {
  plugin: "real_ip",
  // First, so that json_log, prometheus and openidc see the resolved address.
  order: 10,
  config: { trusted: TRUSTED, header: "X-Forwarded-For", recursive: true },
  locations: `
        location = /real-ip {
            # the recipe: nginx's realip at location level reads the X-Real-IP the plugin set
            ${TRUSTED.map((entry) => `set_real_ip_from ${entry};`).join(" ")}
            real_ip_header X-Real-IP;
            real_ip_recursive off;
            default_type text/plain;
            content_by_lua_block {
                local client = require("plugins.lib.client")
                local ip, port = client.clientAddress()
                ngx.say("client address:  ", ip, port and (" port " .. port) or "")
                ngx.say("TCP peer:        ", ngx.var.realip_remote_addr)
                ngx.say("$remote_addr:    ", ngx.var.remote_addr)
                ngx.say("upstream gets X-Real-IP: ", ngx.var.http_x_real_ip)
                ngx.say("upstream gets X-Forwarded-For: ", ngx.var.http_x_forwarded_for)
                ngx.say("upstream gets X-Original-Forwarded-For: ", ngx.var.http_x_original_forwarded_for or "-")
            }
        }`,
  describe: ({ port }) => [
    `real_ip: curl -H 'X-Forwarded-For: 203.0.113.7, 10.0.0.2' http://127.0.0.1:${port}/real-ip`,
    `real_ip (untrusted peer, header ignored): curl --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.7' http://127.0.0.1:${port}/real-ip`,
  ],
};
