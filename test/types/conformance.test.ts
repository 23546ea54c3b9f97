// Conformance of the OpenResty declarations (types/) with the real runtime: every value the
// declarations name (derived from them with the TypeScript compiler API, see declarations.ts)
// must exist inside nginx (Debian's lua-nginx-module 0.10.23, lua-resty-core 0.1.25) with the
// declared Lua type, and literal-typed constants must have the declared value.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startNginx, Nginx } from "../../harness/nginx.mjs";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readDeclarations, Declarations, Entry, TYPES_DIR } from "./declarations";

/**
 * The exception list: object types whose methods exist only on an object made by a call
 * (checked on such an object, made in content_by_lua where every one of these calls is allowed).
 * Every interface with colon methods must be here: the test fails when one is missing.
 */
const OBJECTS: Record<string, string> = {
  // Needs a configured zone: `lua_shared_dict conformance` below.
  NgxSharedDict: "ngx.shared.conformance",
  // Cosockets exist only in phases that allow them (rewrite, access, content, timer, ...).
  NgxTcpSocket: "ngx.socket.tcp()",
  NgxUdpSocket: "ngx.socket.udp()",
  // Instances of resty-core / lrucache classes.
  Semaphore: "require(\"ngx.semaphore\").new(0)",
  LruCache: "require(\"resty.lrucache\").new(1)",
  StringBuffer: "require(\"string.buffer\").new()",
};

/**
 * Members bound to a request: outside request phases (init, init_worker, timer) reading them
 * raises "no request found" / "API disabled". They are checked in content_by_lua like the rest;
 * in a timer they must be the only failures.
 */
const REQUEST_ONLY = ["ngx status", "ngx headers_sent", "ngx is_subrequest"];

// Checks the posted entries, in the handler itself (/check) or in a timer (/check-in-timer),
// and answers { checked, failures }.
const CHECKER = `
local cjson = require("cjson")
local semaphore = require("ngx.semaphore")

local function check(entries)
  local objects = { ${Object.entries(OBJECTS).map(([name, lua]) => `${name} = ${lua}`).join(", ")} }
  local failures, checked = {}, 0
  for _, e in ipairs(entries) do
    local value, problem = nil, nil
    if e.root == "ngx" then
      value = ngx
    elseif e.root:sub(1, 1) == "@" then
      value = objects[e.root:sub(2)]
      if value == nil then problem = "no object to check" end
    else
      local ok, loaded = pcall(require, e.root)
      if ok then value = loaded else problem = "require failed: " .. tostring(loaded) end
    end
    for _, key in ipairs(e.path) do
      if problem then break end
      if type(value) ~= "table" and type(value) ~= "userdata" then problem = "its parent is a " .. type(value) break end
      local ok, found = pcall(function() return value[key] end)
      if ok then value = found else problem = "reading it raises an error" end
    end
    if not problem then
      if type(value) ~= e.kind then
        problem = "is a " .. type(value) .. ", declared " .. e.kind
      elseif e.value ~= nil and value ~= e.value then
        problem = "is " .. tostring(value) .. ", declared " .. tostring(e.value)
      end
    end
    checked = checked + 1
    if problem then failures[#failures + 1] = e.root .. " " .. table.concat(e.path, ".") .. ": " .. problem end
  end
  return { checked = checked, failures = failures }
end

-- Lists the string keys of each table at the posted places ({ root, path }), named "root a.b.key".
local function inventory(places)
  local names = {}
  for _, place in ipairs(places) do
    local value = place.root == "ngx" and ngx or require(place.root)
    for _, key in ipairs(place.path) do value = value[key] end
    local prefix = place.root .. " " .. table.concat(place.path, ".") .. (#place.path > 0 and "." or "")
    for key in pairs(value) do
      if type(key) == "string" then names[#names + 1] = prefix .. key end
    end
  end
  return names
end

ngx.req.read_body()
local entries = cjson.decode(ngx.req.get_body_data())
local result
if ngx.var.uri == "/inventory" then
  result = inventory(entries)
elseif ngx.var.uri == "/check-in-timer" then
  local done = semaphore.new(0)
  assert(ngx.timer.at(0, function() result = check(entries) done:post() end))
  assert(done:wait(20))
else
  result = check(entries)
end
ngx.say(cjson.encode(result))
`;

let nginx: Nginx;
let declarations: Declarations;

beforeAll(async () => {
  declarations = readDeclarations();
  nginx = await startNginx({
    init: "local _ = require(\"resty.core\")",
    files: { "lua/conformance.lua": CHECKER },
    http: "lua_shared_dict conformance 64k;",
    servers: ({ port, prefix }) => `server {
        listen 127.0.0.1:${port};
        client_body_buffer_size 1m;
        client_max_body_size 1m;
        location / { content_by_lua_file ${prefix}/lua/conformance.lua; }
    }`,
  });
});

afterAll(async () => {
  await nginx?.stop();
});

/** Runs the checker in nginx on the entries. */
async function check(entries: Entry[], where = "/check"): Promise<{ checked: number; failures: string[] }> {
  const response = await nginx.fetch(where, { method: "POST", body: JSON.stringify(entries) });
  expect(response.status).toBe(200);
  const result = await response.json() as { checked: number; failures: string[] | Record<string, never> };
  // cjson encodes an empty list as {}.
  return { checked: result.checked, failures: Array.isArray(result.failures) ? result.failures : [] };
}

const name = (entry: Entry) => `${entry.root} ${entry.path.join(".")}`;

/**
 * What the runtime has and the declarations leave out on purpose. Anything else the runtime
 * has (in a table the declarations describe) must be declared.
 */
const UNDECLARED = [
  // lua-resty-core internals.
  "ngx _phase_ctx",
  "ngx get_raw_phase",
  // Undocumented LuaJIT FFI introspection.
  "ffi typeinfo",
  // Instance methods, reachable on the module table too; declared on the instance types.
  "ngx.semaphore count", "ngx.semaphore post", "ngx.semaphore wait",
  "resty.lrucache capacity", "resty.lrucache count", "resty.lrucache delete", "resty.lrucache flush_all",
  "resty.lrucache get", "resty.lrucache get_keys", "resty.lrucache set",
];
/** Internal modules declared only as far as plugins use them (their other keys are not listed). */
const PARTIAL_MODULES = ["resty.core.base"];

describe("OpenResty declarations", () => {
  it("type-check on their own", () => {
    expect(declarations.diagnostics).toEqual([]);
  });

  it("are all reachable from types/index.d.ts (what the npm package's users load)", () => {
    const onDisk = readdirSync(TYPES_DIR, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".d.ts")).map((file) => join(TYPES_DIR, file)).sort();
    expect(declarations.files.filter((file) => file.startsWith(TYPES_DIR)).sort()).toEqual(onDisk);
  });

  it("are read from the declarations, not from a list (the walk reaches every part)", () => {
    const names = declarations.entries.map(name);
    // A few members from each part, so an empty or shallow walk cannot pass.
    for (const expected of ["ngx re.gsub", "ngx req.get_headers", "ngx HTTP_OK", "ngx HTTP_GET", "ngx thread.spawn",
      "ngx location.capture", "ngx config.subsystem", "ngx.ssl set_cert", "resty.lrucache new", "table.new ",
      "ffi C", "cjson.safe decode", "@NgxSharedDict incr", "@NgxTcpSocket sslhandshake", "@Semaphore wait"]) {
      expect(names).toContain(expected);
    }
    expect(declarations.entries.length).toBeGreaterThan(300);
  });

  it("have an object to check for every type with colon methods", () => {
    expect(Object.keys(OBJECTS).sort()).toEqual(declarations.objectTypes);
  });

  it("name only members that exist in nginx, with the declared type and value", async () => {
    const result = await check(declarations.entries);
    expect(result.failures).toEqual([]);
    expect(result.checked).toBe(declarations.entries.length);
  });

  it("leave out nothing the runtime has in the tables they describe (but a short list)", async () => {
    // Every table the declarations describe member by member: the parent of every declared member.
    const places = new Map<string, { root: string; path: string[] }>();
    for (const entry of declarations.entries) {
      if (entry.root.startsWith("@") || entry.path.length === 0) continue;
      const parent = entry.path.slice(0, -1);
      places.set(`${entry.root} ${parent.join(".")}`, { root: entry.root, path: parent });
    }
    const response = await nginx.fetch("/inventory", { method: "POST", body: JSON.stringify([...places.values()]) });
    const runtime = await response.json() as string[];
    const declared = new Set(declarations.entries.map(name));
    expect(runtime.length).toBeGreaterThan(250);
    const undeclared = runtime.filter((member) => !declared.has(member) && !PARTIAL_MODULES.includes(member.split(" ")[0]));
    expect(undeclared.sort()).toEqual([...UNDECLARED].sort());
  });

  it("exist outside a request too (in a timer), except the request-bound members", async () => {
    const result = await check(declarations.entries, "/check-in-timer");
    expect(result.checked).toBe(declarations.entries.length);
    expect(result.failures.sort()).toEqual(REQUEST_ONLY.map((member) => `${member}: reading it raises an error`).sort());
  });

  it("would fail on a declared member that nginx does not have", async () => {
    // Bogus declarations merged into the real ones: missing members at each level, and an
    // undeclared real function (ngx.get_raw_phase) declared with the wrong type.
    const bogus = readDeclarations(`
      interface Ngx { bogus_function(): void; readonly get_raw_phase: string; readonly HTTP_OK_BOGUS: 200 }
      interface NgxReq { bogus_req(): void }
      interface NgxSharedDict<V> { bogus_method(this: NgxSharedDict<V>): void }
      declare module "ngx.base64" { export function bogus_module_function(this: void): void }
    `);
    const real = new Set(declarations.entries.map(name));
    const added = bogus.entries.filter((entry) => !real.has(name(entry)));
    expect(added.map(name).sort()).toEqual(["@NgxSharedDict bogus_method", "ngx HTTP_OK_BOGUS", "ngx bogus_function",
      "ngx get_raw_phase", "ngx req.bogus_req", "ngx.base64 bogus_module_function"]);
    const result = await check(bogus.entries);
    expect(result.failures.sort()).toEqual([
      "@NgxSharedDict bogus_method: is a nil, declared function",
      "ngx HTTP_OK_BOGUS: is a nil, declared number",
      "ngx bogus_function: is a nil, declared function",
      "ngx get_raw_phase: is a function, declared string",
      "ngx req.bogus_req: is a nil, declared function",
      "ngx.base64 bogus_module_function: is a nil, declared function",
    ]);
  });

  it("would fail on a constant whose declared value is wrong", async () => {
    const wrong: Entry = { root: "ngx", path: ["HTTP_NOT_FOUND"], kind: "number", value: 405 };
    expect((await check([wrong])).failures).toEqual(["ngx HTTP_NOT_FOUND: is 404, declared 405"]);
  });
});
