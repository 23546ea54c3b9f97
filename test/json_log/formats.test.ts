// json_log in real nginx with the variable sink: the ingress, ecs and fields formats, nginx's
// upstream lists, redaction, bad config and bad input.
import { describe, it, expect, afterEach, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpsRequest } from "node:https";
import { freePort, PHASE_HOOKS, type Nginx } from "../../harness/nginx.mjs";
import { accessLog, startLogging, waitForEntries, rawExchange, countResponses, rawLines } from "./support";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A live upstream (200, or 404 on /notfound) in the same nginx, and a port nobody listens on. */
async function upstreams() {
  const dead = await freePort();
  return {
    ports: ["live"],
    http: ({ ports }: { ports: Record<string, number> }) => `
    upstream failover {
        server 127.0.0.1:${dead} max_fails=0;
        server 127.0.0.1:${ports.live} backup;
    }
    server {
        listen 127.0.0.1:${ports.live};
        location /notfound { return 404; }
        location / { return 200 "up"; }
    }`,
    locations: ({ ports }: { ports: Record<string, number> }) => `
        location /proxy { proxy_pass http://failover; proxy_next_upstream error; }
        location /redirect {
            proxy_pass http://127.0.0.1:${ports.live}/notfound;
            proxy_intercept_errors on;
            error_page 404 = @second;
        }
        location @second { proxy_pass http://127.0.0.1:${ports.live}; }
        location / { content_by_lua_block { ngx.say("ok") } }`,
  };
}

describe("json_log ingress format", () => {
  it("writes every field with its JSON type", async () => {
    nginx = await startLogging(undefined);
    const response = await nginx.fetch("/a%20b/c?x=1&y=2&y=3&flag&access_token=secret", {
      headers: { "X-Rep": "one", Authorization: "Bearer secret", Cookie: "k=secret", "User-Agent": "t/1" },
    });
    expect(response.status).toBe(200);
    await response.text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry.time).toMatch(ISO_MS);
    expect(Math.abs(Date.parse(entry.time as string) - Date.now())).toBeLessThan(60000);
    expect(entry.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(entry.hostname).toBe(hostname());
    expect(entry.remote_addr).toBe("127.0.0.1");
    expect(entry.client_ip).toBe("127.0.0.1");
    expect(entry.request_method).toBe("GET");
    expect(entry.request_uri).toBe("/a%20b/c");
    expect(entry.uri).toBe("/a b/c");
    expect(entry.args).toEqual({ x: "1", y: ["2", "3"], flag: "", access_token: "REDACTED" });
    expect(entry.status).toBe(200);
    for (const key of ["body_bytes_sent", "bytes_sent", "request_time", "connection_requests"]) {
      expect(typeof entry[key], key).toBe("number");
    }
    expect(entry.body_bytes_sent).toBeGreaterThanOrEqual(3);
    expect(entry.upstream_addr).toEqual([]);
    expect(entry.upstream_tries).toBe(0);
    expect(entry.upstream_status).toEqual([]);
    const headers = entry.headers as Record<string, unknown>;
    expect(headers["x-rep"]).toBe("one");
    expect(headers.authorization).toBe("REDACTED");
    expect(headers.cookie).toBe("REDACTED");
    expect(headers["user-agent"]).toBe("t/1");
    expect(JSON.stringify(entry)).not.toContain("secret");
  });

  it("writes headers in request order, repeated ones as arrays at their first place, and keeps / unescaped", async () => {
    nginx = await startLogging(undefined);
    const reply = await rawExchange(nginx.port,
      "GET /x/y HTTP/1.1\r\nHost: a\r\nX-Rep: one\r\nAccept: a/b\r\nX-Rep: two\r\nConnection: close\r\n\r\n");
    expect(countResponses(reply)).toBe(1);
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect((entry.headers as Record<string, unknown>)["x-rep"]).toEqual(["one", "two"]);
    const text = rawLines(accessLog(nginx))[0].toString();
    expect(text).toContain('"headers":{"host":"a","x-rep":["one","two"],"accept":"a/b","connection":"close"}');
    expect(text).toContain('"request_uri":"/x/y"');
    await rawExchange(nginx.port, "GET / HTTP/1.1\r\nZ-Last: 1\r\nHost: a\r\nA-First: 2\r\nConnection: close\r\n\r\n");
    await waitForEntries(accessLog(nginx), 2);
    expect(rawLines(accessLog(nginx))[1].toString()).toContain('"headers":{"z-last":"1","host":"a","a-first":"2","connection":"close"}');
    expect(text).not.toContain("\\/");
  });

  it("writes nginx's upstream lists as arrays: 502, 200 with -, and : after an internal redirect", async () => {
    nginx = await startLogging(undefined, { ...(await upstreams()), workers: 1 });
    expect((await nginx.fetch("/proxy/x")).status).toBe(200);
    const [failover] = await waitForEntries(accessLog(nginx), 1);
    expect(failover.upstream_status).toEqual([502, 200]);
    expect((failover.upstream_addr as string[]).length).toBe(2);
    expect(failover.upstream_tries).toBe(2);
    expect((failover.upstream_connect_time as unknown[])[0]).toBeNull();
    expect(typeof (failover.upstream_connect_time as unknown[])[1]).toBe("number");
    expect((failover.upstream_header_time as unknown[])[0]).toBeNull();
    for (const key of ["upstream_response_time", "upstream_bytes_sent", "upstream_bytes_received"]) {
      expect((failover[key] as unknown[]).length, key).toBe(2);
    }

    expect((await nginx.fetch("/redirect")).status).toBe(200);
    const [, redirected] = await waitForEntries(accessLog(nginx), 2);
    expect(redirected.upstream_status).toEqual([404, 200]);
    expect((redirected.upstream_addr as string[]).length).toBe(2);
    expect((redirected.upstream_response_time as number[]).every((t) => typeof t === "number")).toBe(true);

    // The same worker, then a request without an upstream: no list left over from the last one
    // (json_log skips reading the upstream lists when $upstream_addr is unset); hostname still there.
    expect((await nginx.fetch("/local")).status).toBe(200);
    const [, , local] = await waitForEntries(accessLog(nginx), 3);
    for (const key of ["upstream_addr", "upstream_status", "upstream_connect_time", "upstream_header_time",
      "upstream_response_time", "upstream_bytes_sent", "upstream_bytes_received"]) {
      expect(local[key], key).toEqual([]);
    }
    expect(local.upstream_tries).toBe(0);
    expect(local.hostname).toBe(hostname());
    expect(redirected.hostname).toBe(hostname());
    expect(new Set(nginx.workerPids()).size).toBe(1);
  });
});

describe("json_log client_ip", () => {
  it("takes the address real_ip resolved (plugins/lib/client), and keeps remote_addr the peer", async () => {
    // A stand-in for the real_ip plugin: its module name, and the address given to plugins/lib/client.
    const realIp = `require("plugins.lib.client").enableResolution()
      return { name = "real_ip", rewrite = function() ngx.ctx.clientIp = ngx.var.http_x_test_client end }`;
    nginx = await startLogging(undefined, {
      files: { "lua/plugins/real_ip/main.lua": realIp },
      init: ({ prefix }) => `package.path = "${prefix}/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init({ "real_ip", "json_log" })`,
    });
    await (await nginx.fetch("/", { headers: { "X-Test-Client": "203.0.113.7" } })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry.client_ip).toBe("203.0.113.7");
    expect(entry.remote_addr).toBe("127.0.0.1");
  });
});

describe("json_log ecs and fields formats", () => {
  let certDir = "";
  beforeAll(() => {
    certDir = mkdtempSync(join(tmpdir(), "json-log-cert-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem"), "-days", "1", "-subj", "/CN=localhost"],
    { stdio: "ignore" });
  });

  it("ecs: ECS names and types, tls.* only on TLS requests", async () => {
    nginx = await startLogging({ format: "ecs" }, {
      ports: ["tls"],
      files: { "conf/cert.pem": readFileSync(join(certDir, "cert.pem"), "utf8"), "conf/key.pem": readFileSync(join(certDir, "key.pem"), "utf8") },
      http: ({ ports, prefix }) => `
    server {
        listen 127.0.0.1:${ports.tls} ssl;
        ssl_certificate ${prefix}/conf/cert.pem;
        ssl_certificate_key ${prefix}/conf/key.pem;
        set $json_log "";
        access_log ${prefix}/logs/json.log json_log;
        ${PHASE_HOOKS}
        location / { content_by_lua_block { ngx.say("ok") } }
    }`,
    });
    const plain = await nginx.fetch("/p?q=1&code=abc", { headers: { "User-Agent": "ua/1" } });
    expect(plain.status).toBe(200);
    await plain.text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry["@timestamp"]).toMatch(ISO_MS);
    expect(entry["ecs.version"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(entry["http.request.method"]).toBe("GET");
    expect(entry["url.path"]).toBe("/p");
    expect(entry["url.query"]).toBe("q=1&code=REDACTED");
    expect(entry["client.ip"]).toBe("127.0.0.1");
    expect(entry["source.ip"]).toBe("127.0.0.1");
    expect(entry["http.response.status_code"]).toBe(200);
    expect(typeof entry["http.response.bytes"]).toBe("number");
    expect(Number.isInteger(entry["event.duration"])).toBe(true);
    expect(entry["user_agent.original"]).toBe("ua/1");
    expect(entry["http.version"]).toBe("1.1");
    expect(entry["tls.version"]).toBeUndefined();

    const port = nginx.ports.tls;
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/tls", servername: "localhost", rejectUnauthorized: false }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    const [, tls] = await waitForEntries(accessLog(nginx), 2);
    expect(tls["url.path"]).toBe("/tls");
    expect(tls["tls.version_protocol"]).toBe("tls");
    expect(tls["tls.version"]).toMatch(/^1\.[23]$/);
    expect(typeof tls["tls.cipher"]).toBe("string");
    expect(tls["tls.client.server_name"]).toBe("localhost");
  });

  it("fields: the user's names, variables, numbers and built-in fields", async () => {
    nginx = await startLogging({
      format: "fields",
      fields: [
        { name: "method", value: "$request_method" },
        { name: "len", value: "$request_length", type: "number" },
        { name: "st", value: "status" },
        { name: "who", value: "client_ip" },
        { name: "raw_uri", value: "$request_uri" },
        { name: "auth", value: "$http_authorization" },
        { name: "missing", value: "$http_x_not_sent" },
      ],
    });
    await (await nginx.fetch("/f?access_token=t1&b=2", { headers: { Authorization: "Basic c2VjcmV0" } })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry).toEqual({
      method: "GET", len: expect.any(Number), st: 200, who: "127.0.0.1",
      raw_uri: "/f?access_token=REDACTED&b=2", auth: "REDACTED", missing: null,
    });
    expect(Object.keys(entry)).toEqual(["method", "len", "st", "who", "raw_uri", "auth", "missing"]);
  });
});

describe("json_log under ingress-nginx's own loading", () => {
  it("reads its section from the RESTY_TS_CONFIG file when the dispatcher passes none", async () => {
    nginx = await startLogging(
      { format: "fields", fields: [{ name: "m", value: "$request_method" }, { name: "p", value: "request_uri" }] },
      { configVia: "env", config: { openidc: { cookie: { name: "sid" } } } },
    );
    await (await nginx.fetch("/env?x=1")).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry).toEqual({ m: "GET", p: "/env" });
  });
});

describe("json_log redaction", () => {
  it("redact_headers / redact_query add to the defaults, which stay redacted", async () => {
    nginx = await startLogging({ redact_headers: ["X-Api-Key"], redact_query: ["password"] });
    await (await nginx.fetch("/r?password=p1&code=c1&access_token=t1&keep=k", {
      headers: { Cookie: "theme=dark", "X-Api-Key": "k3y", Authorization: "Bearer a1", "Proxy-Authorization": "Basic p2", "Set-Cookie": "s=1", "X-Other": "o" },
    })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    const headers = entry.headers as Record<string, unknown>;
    expect(headers).toMatchObject({
      cookie: "REDACTED", "x-api-key": "REDACTED", authorization: "REDACTED", "proxy-authorization": "REDACTED",
      "set-cookie": "REDACTED", "x-other": "o",
    });
    expect(entry.args).toEqual({ password: "REDACTED", code: "REDACTED", access_token: "REDACTED", keep: "k" });
  });

  it("redacts the openidc session cookie (configured name, chunks, login-flow cookies) when Cookie is unredacted", async () => {
    nginx = await startLogging(
      { redact_headers: ["x-api-key"], unredact_headers: ["cookie"], unredact_query: ["code"] },
      { config: { openidc: { cookie: { name: "my_sess" } } } },
    );
    await (await nginx.fetch("/r?code=c1&id_token=i1", {
      headers: { Cookie: "theme=dark; my_sess=s3cr3t; my_sess_2=m0re; my_sess_login_0a9f=fl0w", "X-Api-Key": "k3y", Authorization: "x" },
    })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(JSON.stringify(entry)).not.toMatch(/s3cr3t|m0re|fl0w|k3y/);
    const headers = entry.headers as Record<string, unknown>;
    expect(headers.cookie).toBe("theme=dark; my_sess=REDACTED; my_sess_2=REDACTED; my_sess_login_0a9f=REDACTED");
    expect(headers["x-api-key"]).toBe("REDACTED");
    expect(headers.authorization).toBe("REDACTED");
    expect(entry.args).toEqual({ code: "c1", id_token: "REDACTED" });
  });

  it("redacts the default session cookie name without an openidc section", async () => {
    nginx = await startLogging({ unredact_headers: ["cookie"] });
    await (await nginx.fetch("/", { headers: { Cookie: "resty_ts_session=s3cr3t; resty_ts_session_3=m0re; a=b" } })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect((entry.headers as Record<string, unknown>).cookie).toBe("resty_ts_session=REDACTED; resty_ts_session_3=REDACTED; a=b");
  });

  it("refuses unredacting a header that is not a default, naming the key", async () => {
    const allow = [/plugin "json_log": invalid config: key "unredact_headers\[1\]"/];
    nginx = await startLogging({ unredact_headers: ["x-api-key"] }, { allowLog: allow });
    expect((await nginx.fetch("/", { headers: { Authorization: "s3cr3t" } })).status).toBe(200);
    expect(nginx.errorLog()).toMatch(/key "unredact_headers\[1\]": expected one of authorization, proxy-authorization, cookie, set-cookie/);
    expect(rawLines(accessLog(nginx)).every((line) => line.length === 0)).toBe(true);
  });

  it("logs only include_headers when given", async () => {
    nginx = await startLogging({ include_headers: ["User-Agent", "Authorization"] });
    await (await nginx.fetch("/", { headers: { "User-Agent": "u", Authorization: "a", Accept: "x" } })).text();
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    expect(entry.headers).toEqual({ "user-agent": "u", authorization: "REDACTED" });
  });
});

describe("json_log bad config and bad input", () => {
  it("refuses a bad config at init naming the key, logs nothing, keeps serving", async () => {
    const allow = [/plugin "json_log": invalid config: key "max_value_bytes"/];
    nginx = await startLogging({ max_value_bytes: "big" }, { allowLog: allow });
    expect((await nginx.fetch("/")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const log = nginx.errorLog();
    expect(log).toMatch(/plugin "json_log": invalid config: key "max_value_bytes": expected an integer from 16 to 1048576, found string "big"/);
    expect(rawLines(accessLog(nginx)).every((line) => line.length === 0)).toBe(true);
  });

  it("refuses cross-key problems (file sink without a path)", async () => {
    const allow = [/plugin "json_log": invalid config: key "file.path"/];
    nginx = await startLogging({ sink: "file" }, { allowLog: allow });
    expect((await nginx.fetch("/")).status).toBe(200);
    expect(nginx.errorLog()).toMatch(/key "file.path": expected a file path when sink is "file"/);
  });

  it("names an undeclared variable once, without an error per request", async () => {
    const allow = [/cannot set \$nope/];
    nginx = await startLogging({ variable: "nope" }, { allowLog: allow });
    for (let i = 0; i < 5; i++) expect((await nginx.fetch("/")).status).toBe(200);
    const lines = nginx.errorLog().split("\n").filter((line) => line.includes("cannot set $nope"));
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('set $nope "";');
    // nginx's own reason, as its variable setter words it.
    expect(lines[0]).toContain('variable "nope" not found for writing');
  });

  it("handles 150 headers, repeated headers and 64 KB values, truncating them", async () => {
    nginx = await startLogging(undefined);
    const big = "v".repeat(64 * 1024);
    let head = `GET /big?q=${"q".repeat(60000)} HTTP/1.1\r\nHost: x\r\n`;
    for (let i = 0; i < 150; i++) head += `X-H${i}: value-${i}\r\n`;
    for (let i = 0; i < 20; i++) head += "X-Same: again\r\n";
    head += `X-Big: ${big}\r\nConnection: close\r\n\r\n`;
    const reply = await rawExchange(nginx.port, head);
    expect(reply.toString("latin1")).toMatch(/^HTTP\/1\.1 200/);
    const [entry] = await waitForEntries(accessLog(nginx), 1);
    const headers = entry.headers as Record<string, unknown>;
    expect(Object.keys(headers).length).toBeGreaterThanOrEqual(153);
    expect((headers["x-same"] as string[]).length).toBe(20);
    expect(headers["x-big"]).toBe(`${"v".repeat(4096)}...[truncated]`);
    expect((entry.args as Record<string, string>).q).toBe(`${"q".repeat(4096)}...[truncated]`);
    expect(headers["x-h149"]).toBe("value-149");
  });
});
