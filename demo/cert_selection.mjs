// `npm start` demo of cert_selection: a TLS server on port 8443 whose certificates the plugin
// picks by SNI from self-signed ones generated at start: demo.test (RSA and ECDSA side by side),
// api.demo.test, a wildcard *.apps.demo.test and a default for everything else; plus the admin
// API on the main port (loopback only, token printed).
import { randomBytes } from "node:crypto";
import { certDir, makeCert } from "../test/cert_selection/certs.mjs";

const TLS_PORT = 8443;
const token = randomBytes(18).toString("base64url");
let dir = "";
let placeholder = { cert: "", key: "" };

export default {
  plugin: "cert_selection",
  order: 30,
  ports: ["cert_selection_tls"],
  fixedPorts: { cert_selection_tls: Number(process.env.TLS_PORT ?? TLS_PORT) },
  http: "lua_shared_dict resty_ts_certs 16m;",
  setup: async () => {
    dir = certDir();
    const made = {
      rsa: makeCert(dir, "demo.test", { type: "rsa" }),
      ecdsa: makeCert(dir, "demo.test", { type: "ecdsa" }),
      api: makeCert(dir, "api.demo.test"),
      apps: makeCert(dir, "*.apps.demo.test"),
      fallback: makeCert(dir, "default.demo.test"),
    };
    placeholder = makeCert(dir, "placeholder.invalid", {}, "placeholder");
    const pair = (c) => ({ cert: c.cert, key: c.key });
    return {
      config: {
        certificates: [pair(made.rsa), pair(made.ecdsa), pair(made.api), pair(made.apps)],
        default: pair(made.fallback),
        admin: { token, allow: ["127.0.0.1", "::1"] },
      },
    };
  },
  servers: ({ ports }) => `
    server {
        listen 127.0.0.1:${ports.cert_selection_tls} ssl;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate ${placeholder.cert};
        ssl_certificate_key ${placeholder.key};
        ssl_client_hello_by_lua_block { plugins.run("ssl_client_hello") }
        ssl_certificate_by_lua_block { plugins.run("ssl_cert") }
        location / { content_by_lua_block { ngx.say("hello over TLS, SNI ", tostring(ngx.var.ssl_server_name)) } }
    }`,
  describe: ({ port, ports }) => {
    const tls = ports.cert_selection_tls;
    const show = "</dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName";
    return [
      `cert_selection: TLS on 127.0.0.1:${tls}; certificates in ${dir}`,
      `cert_selection: openssl s_client -connect 127.0.0.1:${tls} -servername demo.test ${show}`,
      `cert_selection:   RSA for the same name: add -sigalgs rsa_pss_rsae_sha256 (and see "Server public key is 2048 bit" without the pipe)`,
      `cert_selection: openssl s_client -connect 127.0.0.1:${tls} -servername x.apps.demo.test ${show}`,
      `cert_selection: openssl s_client -connect 127.0.0.1:${tls} -noservername ${show}   (the default)`,
      `cert_selection: curl -k --resolve demo.test:${tls}:127.0.0.1 https://demo.test:${tls}/`,
      `cert_selection: admin API: curl -H 'Authorization: Bearer ${token}' http://127.0.0.1:${port}/.resty-ts/certificates`,
    ];
  },
};
