/**
 * lua-resty-core 0.1.25 `ngx.ssl`: the TLS handshake in ssl_certificate_by_lua* and PEM helpers.
 * Functions taking the current handshake are allowed in ssl_cert (and ssl_client_hello where noted);
 * the parse/convert helpers in every phase, init included.
 */
declare module "ngx.ssl" {
  /** A parsed certificate chain (`STACK_OF(X509)*`), freed by the GC. */
  type ParsedCert = { readonly __parsedCert: never };
  /** A parsed private key (`EVP_PKEY*`), freed by the GC. */
  type ParsedKey = { readonly __parsedKey: never };
  /** Removes the certificates and keys nginx set for this handshake (the placeholder); true, or nil and err. Phases: ssl_cert. */
  export function clear_certs(this: void): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Sets the chain for this handshake (one per key type); true, or nil and err. Phases: ssl_cert. */
  export function set_cert(this: void, cert: ParsedCert): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Sets the private key of the chain set last; true, or nil and err. Phases: ssl_cert. */
  export function set_priv_key(this: void, key: ParsedKey): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Sets a DER certificate chain; true, or nil and err. Phases: ssl_cert. */
  export function set_der_cert(this: void, der: string): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Sets a DER private key; true, or nil and err. Phases: ssl_cert. */
  export function set_der_priv_key(this: void, der: string): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** The SNI the client sent, or nil (no SNI). Phases: ssl_cert, and later phases over TLS. */
  export function server_name(this: void): LuaMultiReturn<[string | undefined, string | undefined]>;
  /** The server address the client connected to (raw bytes) and its type; nil, nil, err on failure. Phases: ssl_cert, ssl_client_hello. */
  export function raw_server_addr(this: void): LuaMultiReturn<[string, "inet" | "inet6" | "unix", undefined] | [undefined, undefined, string]>;
  /** The server port the client connected to, or nil and err. Phases: ssl_cert, ssl_client_hello. */
  export function server_port(this: void): LuaMultiReturn<[number | undefined, string | undefined]>;
  /** The client address (raw bytes) and its type; nil, nil, err on failure. Phases: ssl_cert, ssl_client_hello. */
  export function raw_client_addr(this: void): LuaMultiReturn<[string, "inet" | "inet6" | "unix", undefined] | [undefined, undefined, string]>;
  /** The negotiated TLS version number (0x0303 for TLS 1.2), or nil and err. Phases: ssl_cert, ssl_client_hello. */
  export function get_tls1_version(this: void): LuaMultiReturn<[number | undefined, string | undefined]>;
  /** The negotiated TLS version name ("TLSv1.2"), or nil and err ("unknown version"). Phases: ssl_cert, ssl_client_hello. */
  export function get_tls1_version_str(this: void): LuaMultiReturn<[string | undefined, string | undefined]>;
  /** Converts a PEM chain to DER; nil and err when it is malformed. Phases: all. */
  export function cert_pem_to_der(this: void, pem: string): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Converts a PEM private key to DER; nil and err when it is malformed (or the passphrase is wrong). Phases: all. */
  export function priv_key_pem_to_der(this: void, pem: string, passphrase?: string): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Parses a PEM chain (leaf first) into cdata for set_cert; nil and err when it is malformed. Phases: all. */
  export function parse_pem_cert(this: void, pem: string): LuaMultiReturn<[ParsedCert, undefined] | [undefined, string]>;
  /** Parses an unencrypted PEM private key into cdata for set_priv_key; nil and err when it is malformed. Phases: all. */
  export function parse_pem_priv_key(this: void, pem: string): LuaMultiReturn<[ParsedKey, undefined] | [undefined, string]>;
  /** Requests a client certificate verified against `ca_certs` (parsed chain); true, or nil and err. Phases: ssl_cert. */
  export function verify_client(this: void, ca_certs?: ParsedCert, depth?: number): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** `get_tls1_version()` value of SSL 3.0 (0x0300). */
  export const SSL3_VERSION: 0x0300;
  /** `get_tls1_version()` value of TLS 1.0 (0x0301). */
  export const TLS1_VERSION: 0x0301;
  /** `get_tls1_version()` value of TLS 1.1 (0x0302). */
  export const TLS1_1_VERSION: 0x0302;
  /** `get_tls1_version()` value of TLS 1.2 (0x0303). */
  export const TLS1_2_VERSION: 0x0303;
  /** `get_tls1_version()` value of TLS 1.3 (0x0304). */
  export const TLS1_3_VERSION: 0x0304;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
