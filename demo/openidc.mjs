// `npm start` demo of openidc: a local OpenID Provider (npm oidc-provider, plain HTTP on
// loopback, any user name and password sign in) and one protected path, /openidc-demo/, that
// shows the identity the plugin sends upstream. Everything else passes.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const OP_PORT = Number(process.env.OPENIDC_DEMO_OP_PORT ?? 9400);
const ISSUER = `http://127.0.0.1:${OP_PORT}`;

export default {
  plugin: "openidc",
  // After real_ip (order 10); json_log and prometheus log whatever it decides.
  order: 20,
  http: "lua_shared_dict resty_ts_oidc 1m;",
  setup: async ({ port }) => {
    const callbacks = [`http://127.0.0.1:${port}/openidc/callback`, `http://localhost:${port}/openidc/callback`];
    const provider = new Provider(ISSUER, {
      clients: [{
        client_id: "resty-ts-demo",
        client_secret: randomBytes(24).toString("base64url"),
        redirect_uris: callbacks,
        post_logout_redirect_uris: [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      }],
      cookies: { keys: [randomBytes(24).toString("base64url")] },
      pkce: { required: () => true },
      conformIdTokenClaims: false,
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      ttl: { AccessToken: 3600, IdToken: 3600, RefreshToken: 86400, Session: 86400, Grant: 86400, Interaction: 600 },
      findAccount: async (_ctx, id) => ({
        accountId: id,
        claims: async () => ({ sub: id, name: `Demo user ${id}`, email: `${id}@demo.example`, email_verified: true }),
      }),
    });
    const server = createServer(provider.callback());
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(OP_PORT, "127.0.0.1", resolve);
    });
    const client = (await provider.Client.find("resty-ts-demo")).metadata();
    return {
      stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
      config: {
        discovery: ISSUER,
        client_id: client.client_id,
        client_secret: client.client_secret,
        session_secret: randomBytes(32).toString("base64url"),
        cookie: { secure: false },
        post_logout_redirect_uri: `http://127.0.0.1:${port}/`,
        headers: { "X-User": "sub", "X-Email": "email", "X-Name": "name" },
        rules: [{ path_prefix: "/openidc-demo", action: "login" }],
      },
    };
  },
  locations: `
        location /openidc-demo/ {
            default_type text/plain;
            content_by_lua_block {
                ngx.say("Signed in. The upstream received:")
                ngx.say("  X-User:  ", ngx.var.http_x_user)
                ngx.say("  X-Email: ", ngx.var.http_x_email)
                ngx.say("  X-Name:  ", ngx.var.http_x_name)
                ngx.say("Log out: /openidc/logout")
            }
        }`,
  describe: ({ port }) => [
    `openidc: open http://127.0.0.1:${port}/openidc-demo/ in a browser; sign in at the local OP (${ISSUER}) with any user name and password`,
    `openidc: log out at http://127.0.0.1:${port}/openidc/logout; API-style calls get 401: curl -H 'Accept: application/json' http://127.0.0.1:${port}/openidc-demo/`,
  ],
};
