// The declared return shapes hold at runtime: TypeScript written against types/ is compiled with
// TSTL, loaded into real nginx, and each snippet's `run()` reports what the destructured results
// were. A wrong order or count of multi-values in a declaration shows up here.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startNginx, Nginx } from "../../harness/nginx.mjs";
import { compile } from "./tstl";

// Each snippet exports `run(): string`; `show` prints nil as "nil".
const PRELUDE = `
declare global { interface SharedDictSchemas { runtime_shapes: number | string } }
export function show(this: void, value: unknown): string { return value === undefined ? "nil" : tostring(value); }
`;

const SNIPPETS: Record<string, { code: string; expected: string }> = {
  re_match: {
    code: `export function run(this: void) {
      const [m, err] = ngx.re.match("key=value", "(\\\\w+)=(?<val>\\\\w+)", "jo");
      const [none, noneErr] = ngx.re.match("abc", "x", "jo");
      const [bad, badErr] = ngx.re.match("abc", "(", "jo");
      const [unmatched] = ngx.re.match("a", "(a)|(b)", "jo");
      return [m![0], m![1], m![2], m!.val, show(err), show(none), show(noneErr), show(bad), type(badErr),
        show(unmatched![2])].join(" ");
    }`,
    expected: "key=value key value value nil nil nil nil string false",
  },
  re_find_ctx: {
    code: `export function run(this: void) {
      const ctx: NgxReCtx = {};
      const [from, to, err] = ngx.re.find("a1b22", "\\\\d+", "jo", ctx);
      const [from2, to2] = ngx.re.find("a1b22", "\\\\d+", "jo", ctx);
      const [from3, to3, err3] = ngx.re.find("a1b22", "\\\\d+", "jo", ctx);
      const [g1, g2] = ngx.re.find("key=value", "(\\\\w+)=(\\\\w+)", "jo", undefined, 2);
      return [from, to, show(err), from2, to2, ctx.pos, show(from3), show(to3), show(err3), g1, g2].join(" ");
    }`,
    expected: "2 2 nil 4 5 6 nil nil nil 5 9",
  },
  re_sub_gsub_gmatch: {
    code: `export function run(this: void) {
      const [all, count] = ngx.re.gsub("a1b22", "\\\\d", "#", "jo");
      const [first, one] = ngx.re.sub("a1b22", "(\\\\d+)", (c) => "<" + c[1] + ">", "jo");
      const [bad, none, err] = ngx.re.gsub("a", "(", "x", "jo");
      const [iterator] = ngx.re.gmatch("a1b22c333", "\\\\d+", "jo");
      const found: string[] = [];
      for (;;) {
        const [captures] = iterator!();
        if (captures === undefined) break;
        found.push(captures[0] as string);
      }
      return [all, count, first, one, show(bad), show(none), type(err), found.join(",")].join(" ");
    }`,
    expected: "a#b## 3 a<1>b22 1 nil nil string 1,22,333",
  },
  re_split: {
    code: `import * as re from "ngx.re";
    export function run(this: void) {
      const [parts] = re.split("a, b,c", ",\\\\s*", "jo");
      const [bad, err] = re.split("a", "(", "jo");
      return [parts!.length, parts!.join("|"), show(bad), type(err)].join(" ");
    }`,
    expected: "3 a|b|c nil string",
  },
  request_args: {
    code: `export function run(this: void) {
      const [some, truncated] = ngx.decode_args("a=1&b=2&b=3", 1);
      const [all, complete] = ngx.decode_args("a=1&b=2&b=3");
      const [headers, headersTruncated] = ngx.req.get_headers();
      return [some.get("a"), truncated, show(complete), (all.get("b") as string[]).join(","), type(headers.get("host")),
        show(headersTruncated), show(ngx.req.get_body_data()), ngx.escape_uri("a b/c", 0), ngx.escape_uri("a b/c"),
        show(ngx.decode_base64("!!")), ngx.req.get_method(), show(ngx.parse_http_time("nope"))].join(" ");
    }`,
    expected: "1 truncated nil 2,3 string nil nil a%20b/c a%20b%2Fc nil GET nil",
  },
  shared_dict: {
    code: `export function run(this: void) {
      const dict = ngx.shared.runtime_shapes!;
      const [ok, err, forcible] = dict.set("k", "v", 0, 7);
      const [value, flags] = dict.get("k");
      const [missing, missingFlags] = dict.get("absent");
      const [n, incrErr] = dict.incr("n", 2, 40);
      const [notNumber, notNumberErr] = dict.incr("k", 1);
      const [added, addErr] = dict.add("k", "other");
      const [length] = dict.lpush("list", "a");
      const [ttl] = dict.ttl("k");
      return [ok, show(err), forcible, value, flags, show(missing), show(missingFlags), n, show(incrErr),
        show(notNumber), notNumberErr, added, addErr, length, ttl].join(" ");
    }`,
    expected: "true nil false v 7 nil nil 42 nil nil not a number false exists 1 0",
  },
  lrucache_semaphore: {
    code: `import * as lrucache from "resty.lrucache";
    import * as semaphore from "ngx.semaphore";
    export function run(this: void) {
      const [cache] = lrucache.new<string>(2);
      cache!.set("a", "1", 0.001, 5);
      ngx.sleep(0.01);
      const [value, stale, flags] = cache!.get("a");
      const [none, small] = lrucache.new(0);
      const [sema] = semaphore.new(1);
      const [got, err] = sema!.wait(0);
      const [again, timeout] = sema!.wait(0);
      return [show(value), stale, flags, show(none), small, got, show(err), show(again), timeout, sema!.count()].join(" ");
    }`,
    expected: "nil 1 5 nil size too small true nil nil timeout 0",
  },
  modules: {
    code: `import * as base64 from "ngx.base64";
    import * as safe from "cjson.safe";
    import * as process from "ngx.process";
    import * as ssl from "ngx.ssl";
    import newTable = require("table.new");
    import clearTable = require("table.clear");
    export function run(this: void) {
      const [decoded, decodeErr] = base64.decode_base64url("aGk");
      const [badDecoded, badErr] = base64.decode_base64url("*");
      const [json, jsonErr] = safe.decode("{");
      const [der, derErr] = ssl.cert_pem_to_der("not a pem");
      const list = newTable<string[]>(4, 0);
      list.push("x");
      clearTable(list);
      return [decoded, show(decodeErr), show(badDecoded), badErr, show(json), type(jsonErr), base64.encode_base64url("hi?"),
        process.type(), show(der), type(derErr), list.length, ssl.TLS1_3_VERSION].join(" ");
    }`,
    expected: "hi nil nil invalid input nil string aGk_ worker nil string 0 772",
  },
  string_buffer: {
    code: `import * as buffer from "string.buffer";
    export function run(this: void) {
      const buf = buffer.new();
      buf.put("ab", 12).putf("<%s>", "x");
      const size = buf.length();
      const [a, b, none] = buf.get(1, 2);
      const [rest] = buf.get();
      const copy = buffer.decode(buffer.encode({ k: "v" })) as { k: string };
      return [size, a, b, show(none), rest, buf.length(), copy.k].join(" ");
    }`,
    expected: "7 a b1 nil 2<x> 0 v",
  },
  threads_and_workers: {
    code: `export function run(this: void) {
      const thread = ngx.thread.spawn((a: number, b: number) => a + b, 2, 3);
      const [ok, sum] = ngx.thread.wait(thread);
      const failing = ngx.thread.spawn(() => { error("boom", 0); });
      const [failed, message] = ngx.thread.wait(failing);
      const [pids] = ngx.worker.pids();
      const [timerOk, timerErr] = ngx.timer.at(0, (premature: boolean) => { if (premature) return; });
      const [everyOk, everyErr] = ngx.timer.every(3600, (premature: boolean) => { if (premature) return; });
      return [ok, sum, failed, message, pids!.length, ngx.worker.id(), timerOk, show(timerErr), everyOk, show(everyErr)].join(" ");
    }`,
    expected: "true 5 false boom 1 0 1 nil 1 nil",
  },
  cosocket: {
    code: `export function run(this: void) {
      const sock = ngx.socket.tcp();
      sock.settimeouts(5000, 5000, 5000);
      const [connected, connectErr] = sock.connect("127.0.0.1", tonumber(ngx.var.server_port));
      const [reused] = sock.getreusedtimes();
      const [sent] = sock.send(["GET /echo?a=1 HTTP/1.0\\r\\n", "Host: x\\r\\n\\r\\n"]);
      const [statusLine, lineErr] = sock.receive("*l");
      const readHeaders = sock.receiveuntil("\\r\\n\\r\\n");
      const [headers] = readHeaders();
      const [body, bodyErr, partial] = sock.receive("*a");
      const [closed] = sock.close();
      const [again, againErr] = sock.close();
      const [fresh, refused] = ngx.socket.tcp().connect("127.0.0.1", 1);
      return [connected, show(connectErr), reused, sent, statusLine, show(lineErr), type(headers), body, show(bodyErr),
        show(partial), closed, show(again), againErr, show(fresh), refused].join("|");
    }`,
    expected: "1|nil|0|35|HTTP/1.1 200 OK|nil|string|a=1|nil|nil|1|nil|closed|nil|connection refused",
  },
  subrequests: {
    code: `export function run(this: void) {
      const response = ngx.location.capture("/echo", { args: { x: "1" } });
      const [a, b] = ngx.location.capture_multi([["/echo", { args: "x=2" }], ["/missing"]]);
      return [response.status, response.body, response.header["X-Echo"] as string, a.body, b.status, ngx.HTTP_NOT_FOUND].join(" ");
    }`,
    expected: "200 x=1 yes x=2 404 404",
  },
};

let nginx: Nginx;
// The thread that fails on purpose (threads_and_workers) is logged by lua-nginx-module.
const EXPECTED_LOG = [/lua user thread aborted: runtime error: boom/, /^stack traceback:$/];

beforeAll(async () => {
  const compiled = compile(Object.fromEntries(Object.entries(SNIPPETS).map(([name, { code }]) => [name, `${PRELUDE}\n${code}`])));
  const problems = Object.entries(compiled.diagnostics).filter(([, list]) => list.length > 0);
  if (problems.length > 0) throw new Error(`snippets do not compile: ${JSON.stringify(problems, null, 2)}`);
  nginx = await startNginx({
    init: ({ prefix }) => `package.path = "${prefix}/lua/?.lua;" .. package.path`,
    files: Object.fromEntries(Object.entries(compiled.lua).map(([name, lua]) => [`lua/shapes/${name}.lua`, lua])),
    http: "lua_shared_dict runtime_shapes 64k;",
    allowLog: EXPECTED_LOG,
    servers: ({ port }) => `server {
        listen 127.0.0.1:${port};
        location /run/ { content_by_lua_block { ngx.print(require("shapes." .. ngx.var.uri:sub(6)).run()) } }
        location = /echo { content_by_lua_block { ngx.header["X-Echo"] = "yes"; ngx.print(ngx.var.args) } }
        location = /missing { return 404; }
    }`,
  });
});

afterAll(async () => {
  await nginx?.stop();
});

describe("typed code runs as declared", () => {
  for (const [name, { expected }] of Object.entries(SNIPPETS)) {
    it(name, async () => {
      const response = await nginx.fetch(`/run/${name}`);
      expect(await response.text()).toBe(expected);
    });
  }
});
