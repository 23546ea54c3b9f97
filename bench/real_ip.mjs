#!/usr/bin/env node
// @ts-check
// real_ip in the gateway scenario (bench/gateway.mjs): the plugin against nginx's own realip
// module with the same settings (goal: >= 0.95x). wrk sends X-Forwarded-For through a trusted
// peer (127.0.0.1), so every request walks the header. Every variant has the same phase hooks;
// the C variant sets the upstream headers the usual way (X-Real-IP $remote_addr,
// X-Forwarded-For $proxy_add_x_forwarded_for), the plugin sets its own.
//
//   node bench/real_ip.mjs [seconds] [rounds]
import { compare } from "./gateway.mjs";

const TRUSTED = ["127.0.0.1", "10.0.0.0/8"];
const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);

const realipDirectives = (header) =>
  `${TRUSTED.map((entry) => `set_real_ip_from ${entry};`).join(" ")} real_ip_header ${header}; real_ip_recursive on;`;

/** Proxy headers for the C variants, as nginx configurations usually set them. */
const C_PROXY_HEADERS = "proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;";

const xff = { "X-Forwarded-For": "203.0.113.7, 10.0.0.2" };
const xRealIp = { "X-Real-IP": "203.0.113.7" };

await compare({
  title: "real_ip X-Forwarded-For vs nginx realip",
  baseline: "nginx realip",
  rounds,
  seconds,
  variants: {
    "nginx realip": { serverExtra: realipDirectives("X-Forwarded-For"), locationExtra: C_PROXY_HEADERS, headers: xff },
    "real_ip plugin": { plugins: ["real_ip"], config: { real_ip: { trusted: TRUSTED } }, headers: xff },
    // What to deploy when access_log / limit_req / allow must see the client: the README recipe.
    "real_ip + $remote_addr recipe": {
      plugins: ["real_ip"],
      config: { real_ip: { trusted: TRUSTED } },
      locationExtra: `${realipDirectives("X-Real-IP").replace("real_ip_recursive on", "real_ip_recursive off")}`,
      headers: xff,
    },
  },
});

await compare({
  title: "real_ip X-Real-IP vs nginx realip",
  baseline: "nginx realip",
  rounds,
  seconds,
  variants: {
    "nginx realip": { serverExtra: realipDirectives("X-Real-IP"), locationExtra: C_PROXY_HEADERS, headers: xRealIp },
    "real_ip plugin": { plugins: ["real_ip"], config: { real_ip: { trusted: TRUSTED, header: "X-Real-IP" } }, headers: xRealIp },
  },
});
