// A real OpenID Provider (npm oidc-provider 9) over TLS on loopback for the openidc tests:
// one confidential client, PKCE, refresh tokens, RP-initiated logout, dev login screens that
// accept any user name, and a log of the token requests it served.
import { createServer, type Server } from "node:https";
import { randomUUID } from "node:crypto";
import { generateKeyPair, exportJWK } from "jose";
import Provider, { type Client, type Context } from "oidc-provider";
import type { TestPki } from "./tls";

/** What a test configures on the OP. */
export interface OpOptions {
  /** The client's redirect_uris and post_logout_redirect_uris. */
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  clientId?: string;
  clientSecret?: string;
  /** token_endpoint_auth_method of the client (default client_secret_basic). */
  authMethod?: "client_secret_basic" | "client_secret_post" | "none";
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Fixed port (the issuer URL names it). */
  port?: number;
}

/** A running OP. */
export interface TestOp {
  issuer: string;
  port: number;
  /** grant_type of every token request served, in order. */
  grants: string[];
  /** Request paths served, in order. */
  paths: string[];
  provider: Provider;
  /** The OP's private signing keys (JWKs with kid "rsa-<uuid>" and "ec-<uuid>", new per start), to sign test tokens. */
  signingKeys: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The demo user's claims (any login name works; its claims are these plus sub = the name). */
export const DEMO_CLAIMS = { email: "demo@example.com", email_verified: true, name: "Demo User" };

/** The "groups" claim of the user "many-groups": about 3.4 KB (and again in the ID token). */
export const MANY_GROUPS = Array.from({ length: 150 }, (_, i) => `team-${String(i).padStart(4, "0")}-members`);

async function signingKeys() {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  return {
    keys: [
      { ...(await exportJWK(rsa.privateKey)), kid: `rsa-${randomUUID()}`, alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.privateKey)), kid: `ec-${randomUUID()}`, alg: "ES256", use: "sig" },
    ],
  };
}

/** Starts the OP on 127.0.0.1 with the test CA's server certificate. */
export async function startOp(pki: TestPki, options: OpOptions): Promise<TestOp> {
  const server: Server = createServer({ cert: pki.cert, key: pki.key });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `https://127.0.0.1:${port}`;
  const authMethod = options.authMethod ?? "client_secret_basic";
  const jwks = await signingKeys();
  const provider = new Provider(issuer, {
    // The main client, plus one per other client authentication method.
    clients: [
      { client_id: options.clientId ?? "resty-ts", method: authMethod },
      { client_id: "resty-ts-post", method: "client_secret_post" },
      { client_id: "resty-ts-public", method: "none" },
      { client_id: "resty-ts-hs256", method: "client_secret_basic", idTokenAlg: "HS256" },
    ].map(({ client_id, method, idTokenAlg }) => ({
      client_id,
      ...(method === "none" ? {} : { client_secret: options.clientSecret ?? "a client secret of the test client" }),
      token_endpoint_auth_method: method,
      redirect_uris: options.redirectUris,
      post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...(idTokenAlg ? { id_token_signed_response_alg: idTokenAlg } : {}),
    })),
    jwks: { keys: jwks.keys.map((key) => ({ ...key })) },
    cookies: { keys: ["test cookie signing key"] },
    enabledJWA: { idTokenSigningAlgValues: ["RS256", "PS256", "ES256", "EdDSA", "HS256"] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: Context, form: string) => {
          ctx.body = `<!DOCTYPE html><html><body>${form}<button id="logout" type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button></body></html>`;
        },
        postLogoutSuccessSource: async (ctx: Context) => {
          ctx.body = "<!DOCTYPE html><html><body>signed out at the OP</body></html>";
        },
      },
    },
    issueRefreshToken: async (_ctx: Context, client: Client) => client.grantTypeAllowed("refresh_token"),
    ttl: { AccessToken: options.accessTokenTtl ?? 3600, IdToken: 3600, RefreshToken: 86400, Session: 3600, Grant: 3600, Interaction: 600 },
    findAccount: async (_ctx: Context, id: string) => ({
      accountId: id,
      // The user "many-groups" has claims too big for one cookie.
      claims: async () => ({ sub: id, ...DEMO_CLAIMS, ...(id === "many-groups" ? { groups: MANY_GROUPS } : {}) }),
    }),
  });
  const grants: string[] = [];
  const paths: string[] = [];
  provider.use(async (ctx, next) => {
    paths.push(ctx.path);
    await next();
    if (ctx.path === "/token" && ctx.status === 200) grants.push(String(ctx.oidc?.params?.grant_type));
  });
  // Keep the test output free of oidc-provider's development-only warnings.
  provider.on("server_error", (_ctx, err) => console.error("oidc-provider server_error", err));
  server.on("request", provider.callback());
  return {
    issuer, port, grants, paths, provider, signingKeys: jwks.keys,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
