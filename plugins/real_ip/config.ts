// Configuration of the real_ip plugin (section `real_ip`), checked once at load, and the
// settings the rewrite handler reads, derived from it at load too.
import { cidrList, type CidrSet } from "../lib/ip";
import { bool, configError, describe, record, str, type Parsed, type Parser } from "../lib/schema";

/** Where the client address comes from. */
export const enum Source {
  /** X-Forwarded-For: every header line, last first. */
  XForwardedFor = 1,
  /** Another header (X-Real-IP, ...): its first line, walked like X-Forwarded-For. */
  Header = 2,
  /** RFC 7239 Forwarded: the `for` nodes of every element of every line. */
  Forwarded = 3,
  /** The PROXY protocol source address (`$proxy_protocol_addr`). */
  ProxyProtocol = 4,
}

/** A header name: an RFC 7230 token. */
function headerName(this: void, fallback: string): Parser<string> {
  const text = str({ default: fallback, nonEmpty: true });
  return (value, key) => {
    const name = text(value, key);
    if (string.find(name, "^[%w!#$%%&'*+%-.^_`|~]+$")[0] === undefined) {
      return configError(key, `a header name or "proxy_protocol"`, describe(value));
    }
    return name;
  };
}

/** The `real_ip` section: every key, its type and default. */
export const parser = record({
  /** Addresses and CIDRs of the proxies whose word is taken, and "unix:". Default: none. */
  trusted: cidrList({ default: [] }),
  /** X-Forwarded-For (default), X-Real-IP, Forwarded, proxy_protocol, or any header name. */
  header: headerName("X-Forwarded-For"),
  /** Walk through every trusted proxy (true, default) or take one step only. */
  recursive: bool(true),
});

/** The checked section. */
export type RealIpConfig = Parsed<typeof parser>;

/** What the rewrite handler needs, derived once. */
export interface Settings {
  readonly trusted: CidrSet;
  readonly recursive: boolean;
  readonly source: Source;
  /** The header's name in lowercase (the key of ngx.req.get_headers()). */
  readonly headerKey: string;
  /** The nginx variable holding the header (`http_x_real_ip`). */
  readonly variable: string;
}

/** Derives the handler's settings from a checked section. */
export function settings(this: void, config: RealIpConfig): Settings {
  const headerKey = string.lower(config.header);
  let source = Source.Header;
  if (headerKey === "x-forwarded-for") source = Source.XForwardedFor;
  else if (headerKey === "forwarded") source = Source.Forwarded;
  else if (headerKey === "proxy_protocol") source = Source.ProxyProtocol;
  const [variable] = string.gsub(headerKey, "-", "_");
  return { trusted: config.trusted, recursive: config.recursive, source, headerKey, variable: `http_${variable}` };
}
