/**
 * lua-resty-core 0.1.25 `ngx.ocsp`: OCSP stapling helpers. Certificate chains are DER strings
 * (leaf first, as `ngx.ssl.cert_pem_to_der` returns them).
 */
declare module "ngx.ocsp" {
  /** The OCSP responder URL of the leaf, nil when it has none, "truncated" as a second value when longer than `maxlen`, or nil and err. Phases: all. */
  export function get_ocsp_responder_from_der_chain(this: void, der_chain: string, maxlen?: number): LuaMultiReturn<[string, undefined | "truncated"] | [undefined, string | undefined]>;
  /** A DER OCSP request for the leaf (needs its issuer in the chain), or nil and err. Phases: all. */
  export function create_ocsp_request(this: void, der_chain: string, maxlen?: number): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Checks a DER OCSP response against the chain: true when the leaf is good, or nil and err (e.g. "certificate status \"revoked\" in the OCSP response"). Phases: all. */
  export function validate_ocsp_response(this: void, ocsp_resp: string, der_chain: string, max_errmsg_len?: number): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Staples a DER OCSP response to this handshake: true (with "no status req" when the client asked for none), or nil and err. Phases: ssl_cert. */
  export function set_ocsp_status_resp(this: void, ocsp_resp: string): LuaMultiReturn<[true, undefined | "no status req"] | [undefined, string]>;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
