// Talking to the token endpoint (authorization code and refresh token grants) and validating
// tokens against the OP's keys, with one JWKS refetch when a token names an unknown key.
import * as cjson from "cjson.safe";
import { request } from "../lib/http_client";
import { secretKey, type Jwk } from "./jwk";
import { validate, type Claims, type ValidateOptions } from "./jwt";
import { keys, refetchKeys, type Discovery } from "./provider";
import type { OidcConfig } from "./config";

/** The members of a token response (RFC 6749 5.1, OpenID Connect Core 3.1.3.3) the plugin uses. */
export interface TokenResponse {
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** HTTP status to answer when the OP cannot be used (unreachable, or it broke the protocol). */
export const UNAVAILABLE = 503;
/** HTTP status to answer when the OP or a token refuses the user. */
export const REFUSED = 401;

const escape = ngx.escape_uri;
const encodeArgs = ngx.encode_args;
const MAX_TOKEN_RESPONSE = 262144;

let hmacKey: Jwk | undefined;

/**
 * POSTs a grant to the token endpoint with the configured client authentication. Returns the
 * token response, or nil, why, and the status to answer (503 OP unusable, 401 grant refused).
 */
export function tokenRequest(this: void, conf: OidcConfig, disco: Discovery, params: Record<string, string>): LuaMultiReturn<[TokenResponse, undefined, undefined] | [undefined, string, number]> {
  const headers = new LuaTable<string, string>();
  headers.set("Content-Type", "application/x-www-form-urlencoded");
  headers.set("Accept", "application/json");
  const method = conf.token_endpoint_auth_method;
  if (method === "client_secret_basic") {
    // RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
    headers.set("Authorization", `Basic ${ngx.encode_base64(`${escape(conf.client_id)}:${escape(conf.client_secret as string)}`)}`);
  } else {
    params.client_id = conf.client_id;
    if (method === "client_secret_post") params.client_secret = conf.client_secret as string;
  }
  const [response, err] = request({
    method: "POST", url: disco.token_endpoint, headers, body: encodeArgs(params),
    timeout: conf.timeout, sslVerify: conf.ssl_verify, maxBodySize: MAX_TOKEN_RESPONSE,
  });
  if (response === undefined) return $multi(undefined, `token endpoint unreachable: ${err}`, UNAVAILABLE);
  const [body] = cjson.decode(response.body);
  const answer = type(body) === "table" ? (body as LuaTable<string, unknown>) : undefined;
  if (response.status !== 200) {
    const code = answer !== undefined && type(answer.get("error")) === "string" ? (answer.get("error") as string) : "no error code";
    // 4xx: the grant or client was refused; anything else: the OP is not working.
    const status = response.status >= 400 && response.status < 500 ? REFUSED : UNAVAILABLE;
    return $multi(undefined, `token endpoint answered HTTP ${response.status} (${string.sub(code, 1, 80)})`, status);
  }
  if (answer === undefined) return $multi(undefined, "token endpoint answered something other than a JSON object", UNAVAILABLE);
  const tokens = answer as TokenResponse;
  for (const member of ["access_token", "id_token", "refresh_token"] as const) {
    if (tokens[member] !== undefined && type(tokens[member]) !== "string") tokens[member] = undefined;
  }
  if (tokens.expires_in !== undefined && type(tokens.expires_in) !== "number") tokens.expires_in = undefined;
  return $multi(tokens, undefined, undefined);
}

/**
 * Validates a JWT with the OP's keys (fetching them when needed, and once more when the token
 * names a key they lack). `options.keys` is filled in here. Returns the claims, or nil, why,
 * and the status to answer (503 when the keys are unavailable, 401 when the token is bad).
 */
export function validateToken(this: void, conf: OidcConfig, disco: Discovery, token: string, options: ValidateOptions): LuaMultiReturn<[Claims, undefined, undefined] | [undefined, string, number]> {
  const [keySet, keysErr] = keys(conf, disco);
  if (keySet === undefined) return $multi(undefined, `signing keys unavailable: ${keysErr}`, UNAVAILABLE);
  (options as { keys?: unknown }).keys = keySet;
  let [claims, reason, failure] = validate(token, options);
  if (failure === "unknown_key") {
    const [fresh, freshErr] = refetchKeys(conf, disco);
    if (fresh === undefined) return $multi(undefined, `signing keys unavailable: ${freshErr}`, UNAVAILABLE);
    (options as { keys?: unknown }).keys = fresh;
    [claims, reason, failure] = validate(token, options);
  }
  if (claims === undefined) return $multi(undefined, reason as string, REFUSED);
  return $multi(claims, undefined, undefined);
}

/** Validation settings for an ID token (OpenID Connect Core 3.1.3.7); `nonce` when the flow sent one. */
export function idTokenOptions(this: void, conf: OidcConfig, disco: Discovery, nonce: string | undefined): ValidateOptions {
  if (hmacKey === undefined && conf.client_secret !== undefined) hmacKey = secretKey(conf.client_secret);
  return {
    hmacKey, issuer: disco.issuer, audience: conf.client_id, clientId: conf.client_id,
    allowedAlgs: conf.allowed_algs, clockSkew: conf.clock_skew, now: ngx.time(), nonce, requireIat: true,
  };
}
