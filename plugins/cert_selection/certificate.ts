// Checking a PEM certificate + key pair before it is served: parses, key match, key type,
// names (subjectAltName DNS entries, CN only without them), hosts coverage, expiry.
// Runs at init, on directory rescans and in the admin API; never per handshake.
import * as ssl from "ngx.ssl";
import { x509Names, x509NotAfter, x509KeyMatches, x509Prepare, privateKeyKind } from "../lib/openssl";
import { storeName, covers } from "./names";

/** The key types a name can have one certificate of each. */
export type KeyKind = "rsa" | "ecdsa";

/** A checked certificate, as the store keeps it and every worker serves it. */
export interface Certificate {
  /** Unique in the store: "config:<file>", "dir:<name>" or "api:<id>". */
  id: string;
  /** PEM chain, leaf first. */
  cert: string;
  /** PEM private key, unencrypted. */
  key: string;
  /** Names served (normalised, wildcards as `*.example.com`). */
  hosts: string[];
  /** The `hosts` the certificate was given with, when it was given some (kept for persistence). */
  given_hosts?: string[];
  kind: KeyKind;
  /** Expiry, Unix seconds. */
  not_after: number;
}

const find = string.find;

/**
 * Parsed cdata by PEM text, weak-valued: a PEM parsed again while its cdata is still in use
 * (checked at load, then served; one key shared by many certificates) is parsed once.
 * OpenSSL 3 takes ~0.2 ms to parse a certificate and ~0.5 ms for an RSA key.
 */
const chains = setmetatable(new LuaTable<string, ssl.ParsedCert>(), { __mode: "v" });
const keys = setmetatable(new LuaTable<string, ssl.ParsedKey>(), { __mode: "v" });

/** A PEM chain parsed for ngx.ssl.set_cert (memoised), or nil and why not. */
export function parseChain(this: void, pem: string): LuaMultiReturn<[ssl.ParsedCert, undefined] | [undefined, string]> {
  const known = chains.get(pem);
  if (known !== undefined) return $multi(known, undefined);
  const [chain, err] = ssl.parse_pem_cert(pem);
  if (chain === undefined) return $multi(undefined, err ?? "cannot parse");
  x509Prepare(chain);
  chains.set(pem, chain);
  return $multi(chain, undefined);
}

/** An unencrypted PEM private key parsed for ngx.ssl.set_priv_key (memoised), or nil and why not. */
export function parseKey(this: void, pem: string): LuaMultiReturn<[ssl.ParsedKey, undefined] | [undefined, string]> {
  const known = keys.get(pem);
  if (known !== undefined) return $multi(known, undefined);
  const [key, err] = ssl.parse_pem_priv_key(pem);
  if (key === undefined) return $multi(undefined, err ?? "cannot parse");
  keys.set(pem, key);
  return $multi(key, undefined);
}

function names(this: void, chain: ssl.ParsedCert): string[] {
  const result: string[] = [];
  for (const raw of x509Names(chain)) {
    const [name] = storeName(raw);
    // SAN entries that are no DNS name (or are malformed) serve nothing.
    if (name !== undefined) result.push(name);
  }
  return result;
}

function checkHosts(this: void, given: unknown[], certNames: string[]): LuaMultiReturn<[string[], undefined] | [undefined, string]> {
  const hosts: string[] = [];
  for (let i = 0; i < given.length; i++) {
    const [host, problem] = storeName(given[i]);
    if (host === undefined) return $multi(undefined, `hosts[${i + 1}]: ${problem}`);
    let covered = false;
    for (const name of certNames) if (covers(name, host)) covered = true;
    if (!covered) {
      return $multi(undefined, `the certificate is not valid for host "${host}" (it names ${certNames.length > 0 ? certNames.join(", ") : "no DNS host"})`);
    }
    hosts.push(host);
  }
  return $multi(hosts, undefined);
}

/**
 * Checks a certificate + key pair. `hosts`, when given, must each be covered by the
 * certificate's names; otherwise the certificate's own names are served. Returns the
 * certificate, or nil and a reason fit for a log line or an API answer.
 */
export function check(this: void, id: string, certPem: unknown, keyPem: unknown, hosts?: unknown[]): LuaMultiReturn<[Certificate, undefined] | [undefined, string]> {
  if (type(certPem) !== "string" || find(certPem as string, "-----BEGIN CERTIFICATE-----", 1, true)[0] === undefined) {
    return $multi(undefined, "the certificate is not PEM (no BEGIN CERTIFICATE line)");
  }
  if (type(keyPem) !== "string" || find(keyPem as string, "PRIVATE KEY-----", 1, true)[0] === undefined) {
    return $multi(undefined, "the private key is not PEM (no BEGIN PRIVATE KEY line)");
  }
  const cert = certPem as string;
  const key = keyPem as string;
  // OpenSSL would ask for a passphrase on the terminal: refuse before parsing.
  if (find(key, "ENCRYPTED", 1, true)[0] !== undefined) {
    return $multi(undefined, "the private key is encrypted (give it unencrypted, e.g. from `openssl pkey -in key.pem`)");
  }
  const [chain, certError] = parseChain(cert);
  if (chain === undefined) return $multi(undefined, `malformed PEM certificate: ${certError}`);
  const [parsedKey, keyError] = parseKey(key);
  if (parsedKey === undefined) return $multi(undefined, `malformed PEM private key: ${keyError}`);
  if (!x509KeyMatches(chain, parsedKey)) return $multi(undefined, "the private key does not match the certificate");
  const kind = privateKeyKind(parsedKey);
  if (kind !== "rsa" && kind !== "ecdsa") return $multi(undefined, `unsupported key type (${kind}): use RSA or ECDSA`);
  const notAfter = x509NotAfter(chain);
  if (notAfter === undefined) return $multi(undefined, "the certificate's notAfter cannot be read");
  const certNames = names(chain);
  let served = certNames;
  if (hosts !== undefined) {
    const [checked, problem] = checkHosts(hosts, certNames);
    if (checked === undefined) return $multi(undefined, problem);
    served = checked;
  } else if (certNames.length === 0) {
    return $multi(undefined, "the certificate names no DNS host (no subjectAltName DNS entry, no CN): give `hosts`");
  }
  const result: Certificate = { id, cert, key, hosts: served, kind, not_after: notAfter };
  if (hosts !== undefined) result.given_hosts = served;
  return $multi(result, undefined);
}
