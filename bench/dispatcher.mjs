// Dispatcher overhead in the gateway scenario: 5 no-op plugins implementing every phase under
// resty-ts' dispatcher (hooks naming their phase, and hooks as ingress-nginx's template writes
// them), against the same nginx whose phase hooks call an empty Lua function, and against a
// dispatcher behaving like ingress-nginx v1.11's. Goals: resty-ts >= 0.98x empty hooks,
// and >= the ingress-like dispatcher.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compare } from "./gateway.mjs";
import { INGRESS_PHASE_HOOKS } from "../harness/nginx.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const NAMES = ["noop1", "noop2", "noop3", "noop4", "noop5"];
const noop = `local function noop() end
return { init_worker = noop, rewrite = noop, access = noop, header_filter = noop, body_filter = noop, log = noop }`;
const files = {
  "lua/ingress_like_dispatcher.lua": readFileSync(join(here, "fixtures", "ingress_like_dispatcher.lua"), "utf8"),
  ...Object.fromEntries(NAMES.map((n) => [`lua/plugins/${n}/main.lua`, noop])),
};
const withPrefix = (code) => ({ prefix }) => code.replaceAll("$prefix", prefix);
const hooks = (call) => ["rewrite", "access", "header_filter", "body_filter", "log"]
  .map((phase) => `${phase}_by_lua_block { ${call} }`).join("\n        ");

const variants = {
  "empty hooks": {
    init: `bench = { run = function() end }`,
    hooks: hooks("bench.run()"),
  },
  "resty-ts, 5 plugins": {
    files,
    init: withPrefix(`package.path = "$prefix/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init(${JSON.stringify(NAMES).replace("[", "{").replace("]", "}")})`),
  },
  "resty-ts, ingress hooks": {
    files,
    hooks: INGRESS_PHASE_HOOKS,
    init: withPrefix(`package.path = "$prefix/lua/?.lua;" .. package.path
        plugins = require("plugins")
        plugins.init(${JSON.stringify(NAMES).replace("[", "{").replace("]", "}")})`),
  },
  "ingress-like, 5 plugins": {
    files,
    init: withPrefix(`package.path = "$prefix/lua/?.lua;" .. package.path
        plugins = require("ingress_like_dispatcher")
        plugins.init(${JSON.stringify(NAMES).replace("[", "{").replace("]", "}")})`),
  },
};

const rounds = Number(process.env.ROUNDS ?? 3);
const seconds = Number(process.env.SECONDS ?? 5);
const { ratios } = await compare({ title: "dispatcher", variants, baseline: "empty hooks", rounds, seconds });
const ok = ratios["resty-ts, 5 plugins"] >= 0.98 && ratios["resty-ts, 5 plugins"] >= ratios["ingress-like, 5 plugins"];
console.log(`\ngoal (>= 0.98x empty hooks and >= ingress-like): ${ok ? "met" : "NOT met"}`);
