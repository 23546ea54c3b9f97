#!/usr/bin/env node
// @ts-check
// openidc in the gateway scenario (bench/gateway.mjs): requests carrying a valid session cookie
// against the same nginx without the plugin (goal: >= 0.8x). The cookie is minted with the
// plugin's format (test/openidc/sealed_cookie.mjs), so no OP is needed: a logged-in request
// makes no network call. A second variant sends the same traffic through a `pass` rule (the
// cost of rule matching and identity-header removal alone).
//
//   node bench/openidc.mjs [seconds] [rounds]
import { compare } from "./gateway.mjs";
import { sealSession } from "../test/openidc/sealed_cookie.mjs";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);

const SECRET = "bench-session-secret-0123456789abcdef";
const now = Math.floor(Date.now() / 1000);
const cookie = sealSession(SECRET, "resty_ts_session", {
  sub: "248289761001", c: { sub: "248289761001", email: "jane.doe@example.com" }, exp: now + 86400, t: now,
});

/** @param {unknown[]} rules */
const openidc = (rules) => ({
  discovery: "https://127.0.0.1:1",
  client_id: "bench",
  client_secret: "bench client secret",
  session_secret: SECRET,
  headers: { "X-User": "sub", "X-Email": "email" },
  rules,
});

const http = "lua_shared_dict resty_ts_oidc 1m;";
const headers = { Cookie: `_ga=GA1.2.1234567890.1700000000; resty_ts_session=${cookie}; theme=dark` };

await compare({
  title: "openidc: requests with a valid session cookie vs no plugin",
  baseline: "no plugin",
  rounds,
  seconds,
  variants: {
    "no plugin": { headers },
    "openidc session (login rule)": { plugins: ["openidc"], config: { openidc: openidc([{ action: "login" }]) }, http, headers },
    "openidc pass rule": { plugins: ["openidc"], config: { openidc: openidc([{ path_prefix: "/api", action: "bearer" }]) }, http, headers },
  },
});
