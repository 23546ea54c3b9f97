// real_ip in real nginx: what the upstream receives, the nginx.conf recipe that makes
// $remote_addr follow, PROXY protocol, Forwarded, the Connection and underscore attacks, bad
// config, the client accessor, and the deliberate differences from nginx's realip module.
import { describe, it, expect, afterEach } from "vitest";
import { startNginx, PHASE_HOOKS, type Nginx } from "../../harness/nginx.mjs";
import { rawRequest, type HeaderLine } from "./raw";
import { startPair, normalizeC, PLUGIN_ECHO, requestLogLines, type Setting } from "./setup";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

const TRUSTED = ["127.0.0.1", "10.0.0.0/8"];

/** nginx with the plugin proxying to an upstream server that echoes what it received. */
function startGateway(setting: Partial<Setting>, options: { http?: string; locationExtra?: string; allowLog?: RegExp[] } = {}) {
  return startNginx({
    plugins: ["real_ip"],
    config: { real_ip: { trusted: TRUSTED, ...setting } },
    ports: ["up"],
    http: options.http ?? "",
    allowLog: options.allowLog,
    servers: ({ port, ports }) => `
    server {
        listen 127.0.0.1:${port};
${PHASE_HOOKS}
        location / {
            ${options.locationExtra ?? ""}
            proxy_pass http://127.0.0.1:${ports.up};
        }
        location = /client {
            content_by_lua_block {
                if ngx.var.arg_ctx then ngx.ctx.other_plugin = true end
                local client = require("plugins.lib.client")
                local ip, port = client.clientAddress()
                ngx.say(client.clientIp(), "|", client.clientPort() or "", "|", ip, "|", port or "")
            }
        }
    }
    server {
        listen 127.0.0.1:${ports.up};
        location / { return 200 "xri=$http_x_real_ip|xff=$http_x_forwarded_for|xoff=$http_x_original_forwarded_for|conn=$http_connection\\n"; }
    }`,
  });
}

async function upstreamSees(port: number, from: string, headers: HeaderLine[]) {
  const response = await rawRequest({ port, from, headers });
  expect(response.status).toBe(200);
  return Object.fromEntries(response.body.trim().split("|").map((pair) => pair.split("=") as [string, string]));
}

describe("real_ip: what the upstream receives", () => {
  it("sends X-Real-IP, the trusted chain plus the peer as X-Forwarded-For, and the original header", async () => {
    nginx = await startGateway({});
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "6.6.6.6, 1.1.1.1, 10.0.0.2"]])).toEqual({
      xri: "1.1.1.1", xff: "1.1.1.1, 10.0.0.2, 127.0.0.1", xoff: "6.6.6.6, 1.1.1.1, 10.0.0.2", conn: "close",
    });
    // A malformed entry stops the walk: the chain starts at the last good address.
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "1.1.1.1, garbage, 10.0.0.2"]])).toMatchObject({
      xri: "10.0.0.2", xff: "10.0.0.2, 127.0.0.1",
    });
    // Several lines, one starting with a separator (nginx's per-line rules).
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "6.6.6.6"], ["X-Forwarded-For", ", 1.1.1.1"], ["X-Forwarded-For", "10.0.0.2"]])).toMatchObject({
      xri: "1.1.1.1", xff: "1.1.1.1, 10.0.0.2, 127.0.0.1", xoff: "6.6.6.6, , 1.1.1.1, 10.0.0.2",
    });
    // IPv6 answers are written as nginx writes $remote_addr.
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "[2001:DB8:0:0::1]:443"]])).toMatchObject({
      xri: "2001:db8::1", xff: "[2001:DB8:0:0::1]:443, 127.0.0.1",
    });
  });

  it("never passes on what an untrusted peer claims, nor a client's X-Real-IP", async () => {
    nginx = await startGateway({});
    expect(await upstreamSees(nginx.port, "127.0.0.2", [["X-Forwarded-For", "1.1.1.1, 10.0.0.2"], ["X-Real-IP", "9.9.9.9"]])).toEqual({
      xri: "127.0.0.2", xff: "127.0.0.2", xoff: "1.1.1.1, 10.0.0.2", conn: "close",
    });
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Real-IP", "9.9.9.9"], ["X-Original-Forwarded-For", "9.9.9.9"]])).toEqual({
      xri: "127.0.0.1", xff: "127.0.0.1", xoff: "", conn: "close",
    });
  });

  it("removes its header names from a client's Connection header (hop-by-hop stripping attack)", async () => {
    nginx = await startGateway({}, { locationExtra: "proxy_set_header Connection $http_connection;" });
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "1.1.1.1"], ["Connection", "close, X-Forwarded-For, x-real-ip, X-Original-Forwarded-For, Forwarded"]])).toEqual({
      xri: "1.1.1.1", xff: "1.1.1.1, 127.0.0.1", xoff: "1.1.1.1", conn: "close",
    });
    expect(await upstreamSees(nginx.port, "127.0.0.2", [["Connection", "X-REAL-IP,close"]])).toEqual({
      xri: "127.0.0.2", xff: "127.0.0.2", xoff: "", conn: "close",
    });
  });

  it("does not take header names spelled with underscores for the header", async () => {
    nginx = await startGateway({}, { http: "underscores_in_headers on;" });
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X_Forwarded_For", "9.9.9.9"]])).toMatchObject({ xri: "127.0.0.1", xff: "127.0.0.1" });
    await nginx.stop();
    const setting: Setting = { trusted: TRUSTED, header: "X-Real-IP", recursive: true };
    nginx = await startPair(setting, "underscores_in_headers on;");
    // Other lines before it: the first 32 lines are searched in straight-line code, the rest in a loop.
    const fillers = (count: number): HeaderLine[] => Array.from({ length: count }, (_, i) => [`X-Filler-${i}`, "x"]);
    for (const headers of [
      [["X_Real_IP", "9.9.9.9"], ["X-Real-IP", "1.1.1.1"]], [["X_Real_IP", "9.9.9.9"]],
      [...fillers(29), ["X_Real_IP", "9.9.9.9"], ["X-Real-IP", "1.1.1.1"]],
      [...fillers(30), ["X_Real_IP", "9.9.9.9"], ["X-Real-IP", "1.1.1.2"]],
      [...fillers(31), ["X-Real-IP", "1.1.1.3"]], [...fillers(40), ["X_Real_IP", "9.9.9.9"], ["X-Real-IP", "1.1.1.4"]],
    ] as HeaderLine[][]) {
      const plugin = await rawRequest({ port: nginx.port, headers });
      const c = await rawRequest({ port: nginx.ports.c, headers });
      expect(plugin.body.trim()).toBe(normalizeC(c.body));
      if (headers.some(([name]) => name === "X-Real-IP")) expect(plugin.body).toMatch(/^1\.1\.1\.\d\|/);
    }
    expect((await rawRequest({ port: nginx.port, headers: [["X_Real_IP", "9.9.9.9"], ["X-Real-IP", "1.1.1.1"]] })).body.trim()).toBe("1.1.1.1|");
  });

  it("hands the address and port to other plugins through plugins.lib.client", async () => {
    nginx = await startGateway({});
    const resolved = await rawRequest({ port: nginx.port, path: "/client", headers: [["X-Forwarded-For", "1.1.1.1:4242"]] });
    expect(resolved.body.trim()).toBe("1.1.1.1|4242|1.1.1.1|4242");
    const noPort = await rawRequest({ port: nginx.port, path: "/client", headers: [["X-Forwarded-For", "1.1.1.1"]] });
    expect(noPort.body.trim()).toBe("1.1.1.1||1.1.1.1|");
    const peer = await rawRequest({ port: nginx.port, path: "/client", from: "127.0.0.2", headers: [["X-Forwarded-For", "1.1.1.1"]] });
    expect(peer.body.trim()).toMatch(/^127\.0\.0\.2\|\d+\|127\.0\.0\.2\|\d+$/);
  });

  it("hands over an X-Real-IP address, with its port, whether or not the request has an ngx.ctx", async () => {
    nginx = await startGateway({ header: "X-Real-IP" });
    for (const path of ["/client", "/client?ctx=1"]) {
      const address = async (from: string, value?: string) =>
        (await rawRequest({ port: nginx!.port, path, from, headers: value === undefined ? [] : [["X-Real-IP", value]] })).body.trim();
      expect(await address("127.0.0.1", "1.1.1.1")).toBe("1.1.1.1||1.1.1.1|");
      expect(await address("127.0.0.1", "1.1.1.1:4242")).toBe("1.1.1.1|4242|1.1.1.1|4242");
      // The peer's own address as the value: resolved, without a port; no value: the peer and its port.
      expect(await address("127.0.0.1", "127.0.0.1")).toBe("127.0.0.1||127.0.0.1|");
      expect(await address("127.0.0.1")).toMatch(/^127\.0\.0\.1\|\d+\|127\.0\.0\.1\|\d+$/);
      expect(await address("127.0.0.2", "1.1.1.1")).toMatch(/^127\.0\.0\.2\|\d+\|127\.0\.0\.2\|\d+$/);
    }
  });

  it("gives plugins.lib.client the address also for a request refused before the rewrite phase", async () => {
    // On demand (recursive X-Forwarded-For): worked out from the request, never the client's X-Real-IP.
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: { trusted: TRUSTED } },
      servers: ({ port }) => `
    server {
        listen 127.0.0.1:${port};
        if ($arg_refuse) { return 403; }
        rewrite_by_lua_block { plugins.run("rewrite") }
        header_filter_by_lua_block {
            local ip, port = require("plugins.lib.client").clientAddress()
            ngx.header["X-Client"] = ip .. "|" .. (port or "")
        }
        location / { content_by_lua_block { ngx.say("ok") } }
    }`,
    });
    const headers: HeaderLine[] = [["X-Forwarded-For", "6.6.6.6, 203.0.113.7:5555, 10.0.0.2"], ["X-Real-IP", "6.6.6.6"]];
    const served = await rawRequest({ port: nginx.port, headers });
    expect([served.status, served.headers["x-client"]]).toEqual([200, "203.0.113.7|5555"]);
    const refused = await rawRequest({ port: nginx.port, path: "/?refuse=1", headers });
    expect([refused.status, refused.headers["x-client"]]).toEqual([403, "203.0.113.7|5555"]);
    const untrusted = await rawRequest({ port: nginx.port, path: "/?refuse=1", from: "127.0.0.2", headers });
    expect(untrusted.headers["x-client"]).toMatch(/^127\.0\.0\.2\|\d+$/);
  });

  it("falls back to the peer in plugins.lib.client when real_ip is not enabled", async () => {
    nginx = await startNginx({
      plugins: [],
      locations: `location / { content_by_lua_block { local c = require("plugins.lib.client") ngx.say(c.clientIp(), "|", c.clientPort()) } }`,
    });
    const response = await rawRequest({ port: nginx.port, from: "127.0.0.3", headers: [["X-Forwarded-For", "1.1.1.1"]] });
    expect(response.body.trim()).toMatch(/^127\.0\.0\.3\|\d+$/);
  });

  it("with a bad config: one ERR line naming the entry, nobody trusted, headers still overwritten", async () => {
    nginx = await startGateway({ trusted: ["127.0.0.1", "10.0.0.300"] }, { allowLog: [/plugin "real_ip": invalid config: key "trusted\[2\]"/] });
    expect(nginx.errorLog()).toContain('resty-ts: plugin "real_ip": invalid config: key "trusted[2]": expected an IP address, a CIDR or "unix:", found string "10.0.0.300"');
    expect(await upstreamSees(nginx.port, "127.0.0.1", [["X-Forwarded-For", "1.1.1.1"], ["X-Real-IP", "1.1.1.1"]])).toMatchObject({
      xri: "127.0.0.1", xff: "127.0.0.1", xoff: "1.1.1.1",
    });
  });

  it("allocates no table per request when the header is absent", async () => {
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: { trusted: TRUSTED } },
      locations: `location / { content_by_lua_block {
        local rewrite = require("plugins.real_ip.main").rewrite
        local clear = ngx.req.clear_header
        -- each call sets X-Forwarded-For: clear it so that every call sees a request without it
        for i = 1, 200 do clear("X-Forwarded-For") rewrite() end -- warm up
        collectgarbage("collect")
        collectgarbage("stop")
        local before = collectgarbage("count")
        for i = 1, 10000 do clear("X-Forwarded-For") rewrite() end
        local grown = (collectgarbage("count") - before) * 1024
        collectgarbage("restart")
        ngx.say(grown)
      } }`,
    });
    const response = await rawRequest({ port: nginx.port, from: "127.0.0.1" });
    // 10,000 calls: a table per call would be >= 320 KB; strings are interned and reused.
    expect(Number(response.body.trim())).toBeLessThan(10000 * 8);
  });
});

describe("real_ip: the nginx.conf recipe that makes $remote_addr follow", () => {
  it("lets access_log, allow/deny and $remote_addr see the resolved address", async () => {
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: { trusted: TRUSTED } },
      http: `log_format client '$remote_addr $realip_remote_addr $request_uri';
        limit_req_zone $binary_remote_addr zone=perclient:1m rate=1r/m;`,
      locations: ({ prefix }) => `
        location / {
            # the same list as real_ip.trusted; at location level only, never server level
            set_real_ip_from 127.0.0.1;
            set_real_ip_from 10.0.0.0/8;
            real_ip_header X-Real-IP;
            real_ip_recursive off;
            access_log ${prefix}/logs/client.log client;
            allow 1.1.1.1;
            allow 2001:db8::/32;
            deny all;
            content_by_lua_block { ngx.say(ngx.var.remote_addr) }
        }
        location /limited {
            set_real_ip_from 127.0.0.1;
            set_real_ip_from 10.0.0.0/8;
            real_ip_header X-Real-IP;
            real_ip_recursive off;
            limit_req zone=perclient nodelay;
            limit_req_status 429;
            content_by_lua_block { ngx.say(ngx.var.remote_addr) }
        }`,
    });
    // limit_req keys on the resolved address: one request a minute per client, not per proxy.
    const limited = (client: string) => rawRequest({ port: nginx!.port, path: "/limited", headers: [["X-Forwarded-For", `${client}, 10.0.0.2`]] });
    expect((await limited("198.51.100.1")).status).toBe(200);
    expect((await limited("198.51.100.2")).status).toBe(200);
    expect((await limited("198.51.100.1")).status).toBe(429);
    const ask = (from: string, headers: HeaderLine[]) => rawRequest({ port: nginx!.port, from, path: `/${from}`, headers });
    const allowed = await ask("127.0.0.1", [["X-Forwarded-For", "6.6.6.6, 1.1.1.1, 10.0.0.2"]]);
    expect(allowed.status).toBe(200);
    expect(allowed.body.trim()).toBe("1.1.1.1");
    const v6 = await ask("127.0.0.1", [["X-Forwarded-For", "[2001:db8::7]:80"]]);
    expect(v6.body.trim()).toBe("2001:db8::7");
    // Spoofs: a client's X-Real-IP, an untrusted peer's X-Forwarded-For.
    expect((await ask("127.0.0.1", [["X-Real-IP", "1.1.1.1"]])).status).toBe(403);
    expect((await ask("127.0.0.2", [["X-Forwarded-For", "1.1.1.1"], ["X-Real-IP", "1.1.1.1"]])).status).toBe(403);
    expect((await ask("127.0.0.1", [["X-Forwarded-For", "6.6.6.6"]])).status).toBe(403);
    const log = await import("node:fs").then((fs) => fs.readFileSync(`${nginx!.prefix}/logs/client.log`, "utf8"));
    expect(log).toContain("1.1.1.1 127.0.0.1 /127.0.0.1");
    expect(log).toContain("127.0.0.2 127.0.0.2 /127.0.0.2");
  });
});

describe("real_ip: IPv6, IPv4-mapped and unix-socket peers", () => {
  it("answers as nginx for peers ::1, ::ffff:127.0.0.1 (matched as IPv4) and unix:", async () => {
    const setting: Setting = { trusted: ["127.0.0.1", "::1", "unix:", "10.0.0.0/8"], header: "X-Forwarded-For", recursive: true };
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: setting },
      ports: ["c", "dual", "dualc"],
      servers: ({ port, ports, prefix }) => `
      server { listen 127.0.0.1:${port}; listen [::1]:${port}; listen unix:${prefix}/data/plugin.sock; ${PHASE_HOOKS} ${PLUGIN_ECHO} }
      server { listen [::]:${ports.dual} ipv6only=off; ${PHASE_HOOKS} ${PLUGIN_ECHO} }
      server { listen 127.0.0.1:${ports.c}; listen [::1]:${ports.c}; listen unix:${prefix}/data/c.sock;
        set_real_ip_from 127.0.0.1; set_real_ip_from ::1; set_real_ip_from unix:; set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For; real_ip_recursive on;
        location / { return 200 "$remote_addr|$remote_port|$realip_remote_addr|$realip_remote_port\\n"; } }
      server { listen [::]:${ports.dualc} ipv6only=off; set_real_ip_from 127.0.0.1; set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For; real_ip_recursive on;
        location / { return 200 "$remote_addr|$remote_port|$realip_remote_addr|$realip_remote_port\\n"; } }`,
    });
    const headers: HeaderLine[] = [["X-Forwarded-For", "6.6.6.6, 1.1.1.1, 10.0.0.2"]];
    const pairs: [string, Parameters<typeof rawRequest>[0], Parameters<typeof rawRequest>[0]][] = [
      ["::1", { port: nginx.port, host: "::1", headers }, { port: nginx.ports.c, host: "::1", headers }],
      ["::ffff:127.0.0.1", { port: nginx.ports.dual, headers }, { port: nginx.ports.dualc, headers }],
      ["::ffff:127.0.0.2", { port: nginx.ports.dual, from: "127.0.0.2", headers }, { port: nginx.ports.dualc, from: "127.0.0.2", headers }],
      ["unix:", { port: 0, socketPath: `${nginx.prefix}/data/plugin.sock`, headers }, { port: 0, socketPath: `${nginx.prefix}/data/c.sock`, headers }],
    ];
    for (const [peer, plugin, c] of pairs) {
      const expected = peer === "::ffff:127.0.0.2" ? "-|" : "1.1.1.1|";
      expect(normalizeC((await rawRequest(c)).body), peer).toBe(expected);
      expect((await rawRequest(plugin)).body.trim(), peer).toBe(expected);
    }
  });
});

describe("real_ip: PROXY protocol", () => {
  it("takes the PROXY protocol source address and port from a trusted peer, as nginx does", async () => {
    const setting: Setting = { trusted: ["127.0.0.1"], header: "proxy_protocol", recursive: true };
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: setting },
      ports: ["c"],
      servers: ({ port, ports }) => `
      server { listen 127.0.0.1:${port} proxy_protocol; ${PHASE_HOOKS} ${PLUGIN_ECHO} }
      server { listen 127.0.0.1:${ports.c} proxy_protocol; set_real_ip_from 127.0.0.1; real_ip_header proxy_protocol;
        location / { return 200 "$remote_addr|$remote_port|$realip_remote_addr|$realip_remote_port\\n"; } }`,
    });
    const cases: [string, string, string][] = [
      ["127.0.0.1", "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80", "203.0.113.7|5555"],
      ["127.0.0.1", "PROXY TCP6 2001:db8::7 ::1 6666 443", "2001:db8::7|6666"],
      ["127.0.0.2", "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80", "-|"],
      ["127.0.0.1", "PROXY UNKNOWN", "-|"],
    ];
    for (const [from, proxyProtocol, expected] of cases) {
      const plugin = await rawRequest({ port: nginx.port, from, proxyProtocol, headers: [["X-Forwarded-For", "9.9.9.9"]] });
      const c = await rawRequest({ port: nginx.ports.c, from, proxyProtocol });
      expect(plugin.body.trim(), proxyProtocol).toBe(expected);
      expect(normalizeC(c.body), proxyProtocol).toBe(expected);
    }
  });
});

describe("real_ip: RFC 7239 Forwarded", () => {
  it("walks the for= nodes of every element and line, right to left", async () => {
    nginx = await startNginx({
      plugins: ["real_ip"],
      config: { real_ip: { trusted: [...TRUSTED, "2001:db8:1::/48"], header: "Forwarded" } },
      locations: PLUGIN_ECHO,
    });
    const cases: [HeaderLine[], string][] = [
      [[["Forwarded", 'for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, For=10.0.0.2']], "2001:db8::17|4711"],
      [[["Forwarded", "for=6.6.6.6"], ["Forwarded", 'FOR="[2001:db8:1::1]";by=10.0.0.1'], ["forwarded", "for=10.0.0.2;host=example.com"]], "6.6.6.6|"],
      [[["Forwarded", "for=1.1.1.1, for=unknown, for=10.0.0.2"]], "10.0.0.2|"],
      [[["Forwarded", 'for=1.1.1.1, for="_hidden", for=10.0.0.2']], "10.0.0.2|"],
      [[["Forwarded", "for=1.1.1.1, proto=https, for=10.0.0.2"]], "10.0.0.2|"],
      [[["Forwarded", 'for="1.1.1.1:8080"']], "1.1.1.1|8080"],
      [[["Forwarded", 'for="1.1.1.1:_port"']], "1.1.1.1|"],
      [[["Forwarded", 'for="\\1.1.1.\\1"']], "1.1.1.1|"],
      [[["Forwarded", 'for=2001:db8::1']], "-|"],
      [[["Forwarded", 'for="[2001:db8::1"']], "-|"],
      [[["Forwarded", 'for="1.1.1.1:0"']], "-|"],
      [[["Forwarded", 'for=1.1.1.1;for=2.2.2.2']], "-|"],
      [[["Forwarded", 'for="1.1.1.1']], "-|"],
      [[["Forwarded", '']], "-|"],
      [[["X-Forwarded-For", "1.1.1.1"]], "-|"],
    ];
    for (const [headers, expected] of cases) {
      const response = await rawRequest({ port: nginx.port, headers });
      expect(response.body.trim(), JSON.stringify(headers)).toBe(expected);
    }
    // An untrusted peer's Forwarded changes nothing.
    const untrusted = await rawRequest({ port: nginx.port, from: "127.0.0.2", headers: [["Forwarded", "for=1.1.1.1"]] });
    expect(untrusted.body.trim()).toBe("-|");
    expect(requestLogLines(nginx)).toEqual([]);
  });
});

describe("real_ip: any other header name", () => {
  it("walks a header such as CF-Connecting-IP as nginx's real_ip_header does, and only from a trusted peer", async () => {
    nginx = await startPair({ trusted: TRUSTED, header: "CF-Connecting-IP", recursive: true });
    const cases: [string, HeaderLine[], string][] = [
      ["127.0.0.1", [["CF-Connecting-IP", "203.0.113.7"]], "203.0.113.7|"],
      ["127.0.0.1", [["CF-Connecting-IP", "6.6.6.6, 1.1.1.1, 10.0.0.2:81"]], "1.1.1.1|"],
      ["127.0.0.1", [["CF-Connecting-IP", "1.1.1.1"], ["CF-Connecting-IP", "10.0.0.2"]], "1.1.1.1|"], // first line only
      ["127.0.0.1", [["CF-Connecting-IP", "garbage"]], "-|"],
      ["127.0.0.1", [["X-Forwarded-For", "1.1.1.1"]], "-|"],
      ["127.0.0.2", [["CF-Connecting-IP", "203.0.113.7"]], "-|"],
    ];
    for (const [from, headers, expected] of cases) {
      const c = await rawRequest({ port: nginx.ports.c, from, headers });
      const plugin = await rawRequest({ port: nginx.port, from, headers });
      expect(normalizeC(c.body), JSON.stringify(headers)).toBe(expected);
      expect(plugin.body.trim(), JSON.stringify(headers)).toBe(expected);
    }
  });
});

describe("real_ip: deliberate differences from nginx's realip module (see README)", () => {
  // Each: an X-Forwarded-For value from a trusted peer, nginx's answer, the plugin's answer.
  const DIFFERENCES: [string, string, string][] = [
    ["1.1.1.1, 10..0.2", "1.1.1.1|", "-|"], // empty IPv4 octet: nginx reads 10.0.0.2 (trusted)
    ["1.1.1.1, 010.0.0.2", "1.1.1.1|", "-|"], // leading zero: nginx reads 10.0.0.2 (decimal)
    ["1.1.1.1, [10.0.0.2]:80", "1.1.1.1|", "-|"], // bracketed IPv4 with a port
    ["1.1.1.1, :1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8|", "-|"], // single leading colon in IPv6
    ["1.1.1.1, 2001:db8::1:", "2001:db8::1:0|", "-|"], // single trailing colon after "::"
    ["1.1.1.1, ::ffff:10..0.2", "1.1.1.1|", "-|"], // nginx's IPv4 leniencies inside IPv6
    ["10..0.2", "10.0.0.2|", "-|"],
  ];

  it("is stricter than nginx on non-standard address forms, and only there", async () => {
    nginx = await startPair({ trusted: TRUSTED, header: "X-Forwarded-For", recursive: true });
    for (const [value, nginxAnswer, pluginAnswer] of DIFFERENCES) {
      const headers: HeaderLine[] = [["X-Forwarded-For", value]];
      const c = await rawRequest({ port: nginx.ports.c, headers });
      const plugin = await rawRequest({ port: nginx.port, headers });
      expect(normalizeC(c.body), value).toBe(nginxAnswer);
      expect(plugin.body.trim(), value).toBe(pluginAnswer);
    }
  });

  it("reads every X-Forwarded-For line whatever the case of the configured name (nginx: only for \"X-Forwarded-For\")", async () => {
    nginx = await startPair({ trusted: TRUSTED, header: "x-forwarded-for", recursive: true });
    const headers: HeaderLine[] = [["X-Forwarded-For", "10.0.0.3"], ["X-Forwarded-For", "1.1.1.1"]];
    // nginx takes "x-forwarded-for" for some other header: its first line only.
    expect(normalizeC((await rawRequest({ port: nginx.ports.c, headers })).body)).toBe("10.0.0.3|");
    expect((await rawRequest({ port: nginx.port, headers })).body.trim()).toBe("1.1.1.1|");
  });

  it("matches an IPv6 CIDR inside ::ffff:0:0/96 as the IPv4 CIDR it denotes (nginx never matches it)", async () => {
    nginx = await startPair({ trusted: ["::ffff:127.0.0.0/104"], header: "X-Forwarded-For", recursive: true });
    const headers: HeaderLine[] = [["X-Forwarded-For", "1.1.1.1"]];
    expect(normalizeC((await rawRequest({ port: nginx.ports.c, headers })).body)).toBe("-|");
    expect((await rawRequest({ port: nginx.port, headers })).body.trim()).toBe("1.1.1.1|");
  });
});
