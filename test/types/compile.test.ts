// Compile tests of the OpenResty declarations: TypeScript snippets compiled with TSTL's API
// and resty-ts' own options (tstl.json) produce the Lua call shapes OpenResty needs
// (colon calls on objects, dot calls on modules, multiple assignment for LuaMultiReturn),
// and misuse does not compile.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as tstl from "typescript-to-lua";
import { readDeclarations, ROOT } from "./declarations";
import { compile, Compiled } from "./tstl";

/** One space for any run of whitespace, none just inside brackets: TSTL wraps long calls. */
const collapse = (lua: string) => lua.replace(/\s+/g, " ").replace(/([({]) /g, "$1").replace(/ ([)}])/g, "$1");

/** Snippets whose Lua is checked below. */
const SHAPES: Record<string, string> = {
  shared_dict: `
    declare global { interface SharedDictSchemas { compile_counts: number } }
    export function bump(this: void) {
      const dict = ngx.shared.compile_counts;
      if (dict === undefined) return;
      const [value, flags] = dict.get("k");
      const [total, err] = dict.incr("k", 1, 0);
      const [ok, setErr, forcible] = dict.safe_set("k", 1, 60);
      const keys = dict.get_keys(0);
      dict.delete("k");
      ngx.say(value, flags, total, err, ok, setErr, forcible, keys.length, dict.free_space());
    }`,
  regex: `
    import * as ngx_re from "ngx.re";
    export function first(this: void, subject: string) {
      const [m, err] = ngx.re.match(subject, "^a(b)", "jo");
      if (m === undefined) return err;
      const [replaced, count] = ngx.re.gsub(subject, "b", "c", "jo");
      const [from, to] = ngx.re.find(subject, "b", "jo");
      const [once] = ngx.re.sub(subject, "b", "c", "jo");
      const [iterator] = ngx.re.gmatch(subject, "b", "jo");
      const [parts] = ngx_re.split(subject, ",", "jo");
      return [m[1], replaced, count, from, to, once, iterator, parts];
    }`,
  cosocket: `
    export function fetchOne(this: void) {
      const sock = ngx.socket.tcp();
      sock.settimeouts(1000, 1000, 1000);
      const [ok, err] = sock.connect("127.0.0.1", 80);
      if (ok === undefined) return err;
      const [line] = sock.receive("*l");
      sock.setkeepalive(10000, 16);
      const udp = ngx.socket.udp();
      udp.setpeername("127.0.0.1", 514);
      udp.send("x");
      udp.close();
      return line;
    }`,
  lrucache: `
    import * as lrucache from "resty.lrucache";
    const [cache] = lrucache.new<string>(100);
    export function lookup(this: void, key: string) {
      const [value, stale] = cache!.get(key);
      cache!.set(key, "v", 10);
      return value ?? stale;
    }`,
  request_context: `
    declare global { interface RequestContext { compileClient?: string } }
    export function remember(this: void) {
      ngx.ctx.compileClient = ngx.var.remote_addr;
      return ngx.ctx.compileClient;
    }`,
  request: `
    export function headers(this: void) {
      const [headers, truncated] = ngx.req.get_headers();
      if (truncated === "truncated") ngx.exit(ngx.HTTP_BAD_REQUEST);
      ngx.header["X-Phase"] = ngx.get_phase();
      return headers;
    }`,
  modules: `
    import newTable = require("table.new");
    import clearTable = require("table.clear");
    import * as cjson from "cjson";
    import * as ssl from "ngx.ssl";
    import * as semaphore from "ngx.semaphore";
    import * as ffi from "ffi";
    const list = newTable<string[]>(8, 0);
    clearTable(list);
    const [sema] = semaphore.new(0);
    export function run(this: void, pem: string) {
      const [cert, err] = ssl.parse_pem_cert(pem);
      const [ok] = sema!.wait(1);
      sema!.post(1);
      const buffer = ffi.new("char[?]", 16);
      return [cert, err, ok, cjson.null, ffi.string(buffer, 4)];
    }`,
  ssl: `
    import * as ssl from "ngx.ssl";
    import * as ocsp from "ngx.ocsp";
    export function handshake(this: void, certPem: string, keyPem: string) {
      const [name] = ssl.server_name();
      ssl.clear_certs();
      const [cert] = ssl.parse_pem_cert(certPem);
      const [key] = ssl.parse_pem_priv_key(keyPem);
      if (cert === undefined || key === undefined) return ngx.exit(ngx.ERROR);
      const [ok, err] = ssl.set_cert(cert);
      ssl.set_priv_key(key);
      const [der] = ssl.cert_pem_to_der(certPem);
      const [url] = ocsp.get_ocsp_responder_from_der_chain(der!);
      return [name, ok, err, url];
    }`,
  string_buffer: `
    import * as buffer from "string.buffer";
    const out = buffer.new(64);
    export function join(this: void, a: string, n: number) {
      out.reset().put(a, ":", n);
      const size = out.length();
      const [head] = out.get(1);
      return [size, head, out.tostring()];
    }`,
  callbacks: `
    export function later(this: void) {
      ngx.timer.at(0, (premature: boolean, n: number) => { if (!premature) ngx.log(ngx.INFO, n); }, 5);
      const thread = ngx.thread.spawn((x: number) => x + 1, 1);
      const [ok, result] = ngx.thread.wait(thread);
      const [a, b] = ngx.location.capture_multi([["/a"], ["/b", { method: ngx.HTTP_POST }]]);
      return [ok, result, a.status, b.body];
    }`,
};

// Misuse cases: a snippet whose last line is a misuse, and the error it must give.
const MISUSE: Record<string, { code: string; error: RegExp }> = {
  wrong_argument_type: { code: "ngx.re.match(42, \"a\");", error: /not assignable to parameter of type 'string'/ },
  wrong_option_type: { code: "ngx.re.find(\"a\", \"a\", 1);", error: /'number' is not assignable to parameter of type 'string'/ },
  wrong_dict_value_type: {
    code: "ngx.shared.misuse_counts!.set(\"k\", \"text\");",
    error: /'string' is not assignable to parameter of type 'number'/,
  },
  detached_dict_method: {
    code: "const get = ngx.shared.misuse_counts!.get;\nget(\"k\");",
    error: /The 'this' context of type 'void' is not assignable to method's 'this' of type 'NgxSharedDict<number>'/,
  },
  detached_socket_method: {
    code: "const connect = ngx.socket.tcp().connect;\nconnect(\"127.0.0.1\", 80);",
    error: /'this' context of type 'void' is not assignable to method's 'this' of type 'NgxTcpSocket'/,
  },
  detached_lrucache_method: {
    code: "import * as lrucache from \"resty.lrucache\";\nconst [cache] = lrucache.new<number>(1);\nconst get = cache!.get;\nget(\"k\");",
    error: /'this' context of type 'void' is not assignable to method's 'this' of type 'LruCache<number>'/,
  },
  detached_semaphore_method: {
    code: "import * as semaphore from \"ngx.semaphore\";\nconst [sema] = semaphore.new(0);\nconst wait = sema!.wait;\nwait(1);",
    error: /'this' context of type 'void' is not assignable to method's 'this' of type 'Semaphore'/,
  },
  ssl_key_as_cert: {
    code: "import * as ssl from \"ngx.ssl\";\nconst [key] = ssl.parse_pem_priv_key(\"pem\");\nssl.set_cert(key!);",
    error: /not assignable to parameter of type 'ParsedCert'/,
  },
  unknown_ctx_field: { code: "ngx.ctx.notDeclared = 1;", error: /Property 'notDeclared' does not exist on type 'RequestContext'/ },
  ctx_field_type: { code: "ngx.ctx.compileClient = 5;", error: /Type 'number' is not assignable to type 'string'/ },
  unknown_shared_dict: { code: "ngx.shared.not_declared;", error: /Property 'not_declared' does not exist on type 'NgxShared'/ },
  readonly_constant: { code: "ngx.HTTP_OK = 201;", error: /Cannot assign to 'HTTP_OK' because it is a read-only property/ },
  readonly_api_table: { code: "ngx.re = ngx.re;", error: /Cannot assign to 're' because it is a read-only property/ },
  plugin_handler_with_parameters: {
    code: "export const plugin: Plugin = { name: \"x\", rewrite: (phase: string) => { ngx.log(ngx.INFO, phase); } };",
    error: /not assignable to type 'PhaseHandler'/,
  },
  multi_return_used_as_value: {
    code: "export const text: string = ngx.re.gsub(\"a\", \"a\", \"b\");",
    error: /Type 'LuaMultiReturn<.*>' is not assignable to type 'string'/,
  },
  unknown_phase_name: { code: "if (ngx.get_phase() === \"rewite\") ngx.say(1);", error: /have no overlap/ },
  missing_in_debian_cjson: { code: "import * as cjson from \"cjson\";\ncjson.encode(cjson.empty_array);", error: /Property 'empty_array' does not exist/ },
  missing_ssl_argument: { code: "import * as ssl from \"ngx.ssl\";\nssl.set_cert();", error: /Expected 1 arguments, but got 0/ },
};
// The dict used by the misuse cases, declared the way plugins declare theirs.
const PRELUDE = "declare global { interface SharedDictSchemas { misuse_counts: number } }\nexport {};\n";

/** A misuse case as a file: imports, prelude, set-up lines, then (under @ts-expect-error) the misuse. */
function misuseFile(code: string, expectError: boolean) {
  const lines = code.split("\n");
  const misuse = lines.pop()!;
  // Imports stay on top, before the prelude's `declare global`.
  const imports = lines.filter((line) => line.startsWith("import "));
  const rest = lines.filter((line) => !line.startsWith("import "));
  return [...imports, PRELUDE, ...rest, ...(expectError ? ["// @ts-expect-error misuse"] : []), misuse].join("\n");
}

/** The TypeScript example of the README's types section, which must stay true. */
function readmeExample() {
  const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:types -->"), readme.indexOf("<!-- /section:types -->"));
  const example = /```ts\n([\s\S]*?)```/.exec(section);
  if (example === null) throw new Error("no ```ts example in the README's types section");
  return example[1];
}

// Everything compiles as one virtual project (one TypeScript program: fast).
let compiled: Compiled;
beforeAll(() => {
  const files: Record<string, string> = { ...SHAPES, readme_example: readmeExample() };
  for (const [name, { code }] of Object.entries(MISUSE)) {
    files[`misuse_${name}`] = misuseFile(code, false);
    files[`expected_${name}`] = misuseFile(code, true);
  }
  compiled = compile(files);
  for (const name of Object.keys(compiled.lua)) compiled.lua[name] = collapse(compiled.lua[name]);
  if (process.env.SHOW_LUA) console.log(Object.keys(SHAPES).map((name) => compiled.lua[name]).join("\n\n"));
});

describe("compiled call shapes", () => {
  it("compile without diagnostics", () => {
    for (const name of Object.keys(SHAPES)) expect({ name, diagnostics: compiled.diagnostics[name] }).toEqual({ name, diagnostics: [] });
  });

  it("calls shared dict methods with a colon and destructures their results", () => {
    expect(compiled.lua.shared_dict).toContain("local dict = ngx.shared.compile_counts");
    expect(compiled.lua.shared_dict).toContain("local value, flags = dict:get(\"k\")");
    expect(compiled.lua.shared_dict).toContain("local total, err = dict:incr(\"k\", 1, 0)");
    expect(compiled.lua.shared_dict).toContain("local ok, setErr, forcible = dict:safe_set(\"k\", 1, 60)");
    expect(compiled.lua.shared_dict).toContain("local keys = dict:get_keys(0)");
    expect(compiled.lua.shared_dict).toContain("dict:delete(\"k\")");
    expect(compiled.lua.shared_dict).toContain("dict:free_space()");
  });

  it("calls ngx.re functions with a dot, captures indexed as in Lua", () => {
    expect(compiled.lua.regex).toContain("local m, err = ngx.re.match(subject, \"^a(b)\", \"jo\")");
    expect(compiled.lua.regex).toContain("local replaced, count = ngx.re.gsub(subject, \"b\", \"c\", \"jo\")");
    expect(compiled.lua.regex).toContain("local from, to = ngx.re.find(subject, \"b\", \"jo\")");
    expect(compiled.lua.regex).toContain("local once = ngx.re.sub(subject, \"b\", \"c\", \"jo\")");
    expect(compiled.lua.regex).toContain("local iterator = ngx.re.gmatch(subject, \"b\", \"jo\")");
    expect(compiled.lua.regex).toContain("local ngx_re = require(\"ngx.re\")");
    expect(compiled.lua.regex).toContain("local parts = ngx_re.split(subject, \",\", \"jo\")");
    expect(compiled.lua.regex).toContain("m[1]");
  });

  it("calls cosocket methods with a colon", () => {
    expect(compiled.lua.cosocket).toContain("local sock = ngx.socket.tcp()");
    expect(compiled.lua.cosocket).toContain("sock:settimeouts(1000, 1000, 1000)");
    expect(compiled.lua.cosocket).toContain("local ok, err = sock:connect(\"127.0.0.1\", 80)");
    expect(compiled.lua.cosocket).toContain("local line = sock:receive(\"*l\")");
    expect(compiled.lua.cosocket).toContain("sock:setkeepalive(10000, 16)");
    expect(compiled.lua.cosocket).toContain("local udp = ngx.socket.udp()");
    expect(compiled.lua.cosocket).toContain("udp:setpeername(\"127.0.0.1\", 514)");
    expect(compiled.lua.cosocket).toContain("udp:send(\"x\")");
    expect(compiled.lua.cosocket).toContain("udp:close()");
  });

  it("calls lrucache's constructor with a dot and its instance with a colon", () => {
    expect(compiled.lua.lrucache).toContain("local lrucache = require(\"resty.lrucache\")");
    expect(compiled.lua.lrucache).toContain("local cache = lrucache.new(100)");
    expect(compiled.lua.lrucache).toContain("local value, stale = cache:get(key)");
    expect(compiled.lua.lrucache).toContain("cache:set(key, \"v\", 10)");
  });

  it("types ngx.ctx by the fields plugins declare (declaration merging) and indexes it as a table", () => {
    expect(compiled.lua.request_context).toContain("ngx.ctx.compileClient = ngx.var.remote_addr");
    expect(compiled.lua.request_context).toContain("return ngx.ctx.compileClient");
  });

  it("calls the ngx API with dots", () => {
    expect(compiled.lua.request).toContain("local headers, truncated = ngx.req.get_headers()");
    expect(compiled.lua.request).toContain("ngx.exit(ngx.HTTP_BAD_REQUEST)");
    expect(compiled.lua.request).toContain("ngx.header[\"X-Phase\"] = ngx.get_phase()");
  });

  it("requires OpenResty's modules by their own names", () => {
    const lua = compiled.lua.modules;
    for (const name of ["table.new", "table.clear", "cjson", "ngx.ssl", "ngx.semaphore", "ffi"]) {
      expect(lua).toMatch(new RegExp(`local \\w+ = require\\("${name.replace(".", "\\.")}"\\)`));
    }
    expect(lua).toContain("local newTable = require(\"table.new\")");
    expect(lua).toContain("local list = newTable(8, 0)");
    expect(lua).toContain("clearTable(list)");
    expect(lua).toContain("local cert, err = ssl.parse_pem_cert(pem)");
    expect(lua).toContain("local sema = semaphore.new(0)");
    expect(lua).toContain("local ok = sema:wait(1)");
    expect(lua).toContain("sema:post(1)");
    expect(lua).toContain("ffi.new(\"char[?]\", 16)");
    expect(lua).toContain("ffi.string(buffer, 4)");
    expect(lua).toContain("cjson.null");
    expect(lua).not.toContain("@NoResolution");
  });

  it("calls ngx.ssl and ngx.ocsp functions with a dot and destructures their results", () => {
    const lua = compiled.lua.ssl;
    expect(lua).toContain("local ssl = require(\"ngx.ssl\")");
    expect(lua).toContain("local name = ssl.server_name()");
    expect(lua).toContain("ssl.clear_certs()");
    expect(lua).toContain("local cert = ssl.parse_pem_cert(certPem)");
    expect(lua).toContain("local key = ssl.parse_pem_priv_key(keyPem)");
    expect(lua).toContain("local ok, err = ssl.set_cert(cert)");
    expect(lua).toContain("ssl.set_priv_key(key)");
    expect(lua).toContain("local der = ssl.cert_pem_to_der(certPem)");
    expect(lua).toContain("local url = ocsp.get_ocsp_responder_from_der_chain(der)");
    expect(lua).not.toMatch(/ssl:|ocsp:/);
  });

  it("calls string.buffer methods with a colon, chained, and its length as #", () => {
    const lua = compiled.lua.string_buffer;
    expect(lua).toContain("local out = buffer.new(64)");
    expect(lua).toContain("out:reset():put(a, \":\", n)");
    expect(lua).toContain("local size = #out");
    expect(lua).toContain("local head = out:get(1)");
  });

  it("passes callbacks without a self parameter and destructures multi-results", () => {
    const lua = compiled.lua.callbacks;
    expect(lua).toContain("ngx.timer.at(0, function(premature, n)");
    expect(lua).toContain("ngx.thread.spawn(function(x) return x + 1 end, 1)");
    expect(lua).toContain("local ok, result = ngx.thread.wait(thread)");
    expect(lua).toContain("local a, b = ngx.location.capture_multi({{\"/a\"}, {\"/b\", {method = ngx.HTTP_POST}}})");
  });
});

describe("external modules", () => {
  it("are all listed in noResolvePaths, so TSTL leaves each require as it is", () => {
    const modules = new Set(readDeclarations().entries.map((entry) => entry.root).filter((root) => root !== "ngx" && !root.startsWith("@")));
    expect(modules.size).toBeGreaterThan(15);
    const { noResolvePaths } = tstl.parseConfigFileWithSystem(resolve(ROOT, "tstl.json")).options;
    for (const module of modules) expect({ module, listed: noResolvePaths?.includes(module) }).toEqual({ module, listed: true });
  });
});

describe("the README's example", () => {
  it("compiles and counts with a colon call", () => {
    expect(compiled.diagnostics.readme_example).toEqual([]);
    expect(compiled.lua.readme_example).toContain("local hits = ngx.shared.my_plugin_hits");
    expect(compiled.lua.readme_example).toMatch(/local count, err = hits:incr\(/);
  });
});

describe("misuse does not compile", () => {
  it("each misuse compiles cleanly under @ts-expect-error (so each one is an error)", () => {
    for (const name of Object.keys(MISUSE)) {
      expect({ name, diagnostics: compiled.diagnostics[`expected_${name}`] }).toEqual({ name, diagnostics: [] });
    }
  });

  it("each misuse gives the error it is about, on its own line", () => {
    for (const [name, { code, error }] of Object.entries(MISUSE)) {
      const misuseLine = misuseFile(code, false).split("\n").length;
      const diagnostics = compiled.diagnostics[`misuse_${name}`];
      expect({ name, diagnostics }).toEqual({ name, diagnostics: expect.arrayContaining([expect.stringMatching(error)]) });
      for (const diagnostic of diagnostics) expect({ name, diagnostic }).toEqual({ name, diagnostic: expect.stringMatching(new RegExp(`^line ${misuseLine}:`)) });
    }
  });
});
