// What goes into a log entry: the `ingress` and `ecs` field sets, the user's `fields`, and the
// Plan they compile to at init (the variable names to read, each field's kind and key prefix).
// Pure Lua (no ngx).
import { nameSet, isListedCookie, type NameSet } from "./query";

/** How a field's JSON value is made. */
export const enum Kind {
  /** A variable as a string, null when unset. */
  Str = 1,
  /** A variable as a number, null when unset or not a number. */
  Num,
  /** A variable holding an nginx list (`502, 200`) as an array of numbers or null. */
  NumList,
  /** A variable holding an address list as an array of strings. */
  StrList,
  /** How many entries an address list variable has. */
  Count,
  /** `$request_uri` without the query. */
  Path,
  /** The query (`$args`) as an object. */
  Args,
  /** The request headers as an object. */
  Headers,
  /** The client address: real_ip's, else the variable (`$remote_addr`). */
  ClientIp,
  /** The time the entry is written (`$msec`), ISO 8601 UTC with milliseconds. */
  Time,
  /** A duration variable in seconds as integer nanoseconds. */
  Nanoseconds,
  /** `HTTP/1.1` as `1.1`. */
  HttpVersion,
  /** `TLSv1.3` as `1.3`. */
  TlsVersion,
  /** A fixed string. */
  Const,
  /** A fixed string, only when the variable is set. */
  ConstIfSet,
  /** A variable holding a query string (`$args`), redacted. */
  Query,
  /** A variable holding a path and query (`$request_uri`), redacted. */
  Uri,
  /** `$request` with the query of its target redacted. */
  RequestLine,
  /** A variable holding a Cookie header, session cookies redacted. */
  Cookie,
  /** A variable nginx fills with a token that needs no escaping (`$request_id`: hex). */
  Token,
  /** A variable nginx fills with a number (`$status`, `$bytes_sent`): written as it is. */
  NginxNum,
}

/** A field before compilation: output key, kind, variable (without `$`), fixed text. */
export interface FieldSpec {
  readonly key: string;
  readonly kind: Kind;
  readonly source?: string;
  readonly constant?: string;
}

/** The built-in fields by name: the `ingress` set plus a few more usable in `fields`. */
export const KNOWN: { [name: string]: { kind: Kind; source?: string } } = {
  hostname: { kind: Kind.Str, source: "hostname" },
  request_method: { kind: Kind.Str, source: "request_method" },
  request_uri: { kind: Kind.Path, source: "request_uri" },
  args: { kind: Kind.Args, source: "args" },
  headers: { kind: Kind.Headers },
  // The TCP peer, also when nginx's realip module (the location-level recipe) changed $remote_addr.
  remote_addr: { kind: Kind.Str, source: "realip_remote_addr" },
  client_ip: { kind: Kind.ClientIp, source: "remote_addr" },
  uri: { kind: Kind.Str, source: "uri" },
  upstream_addr: { kind: Kind.StrList, source: "upstream_addr" },
  upstream_tries: { kind: Kind.Count, source: "upstream_addr" },
  upstream_status: { kind: Kind.NumList, source: "upstream_status" },
  upstream_connect_time: { kind: Kind.NumList, source: "upstream_connect_time" },
  upstream_header_time: { kind: Kind.NumList, source: "upstream_header_time" },
  upstream_response_time: { kind: Kind.NumList, source: "upstream_response_time" },
  upstream_bytes_sent: { kind: Kind.NumList, source: "upstream_bytes_sent" },
  upstream_bytes_received: { kind: Kind.NumList, source: "upstream_bytes_received" },
  body_bytes_sent: { kind: Kind.NginxNum, source: "body_bytes_sent" },
  bytes_sent: { kind: Kind.NginxNum, source: "bytes_sent" },
  status: { kind: Kind.NginxNum, source: "status" },
  connection_requests: { kind: Kind.NginxNum, source: "connection_requests" },
  request_time: { kind: Kind.NginxNum, source: "request_time" },
  time: { kind: Kind.Time, source: "msec" },
  request_id: { kind: Kind.Token, source: "request_id" },
  // Not in the ingress set:
  query: { kind: Kind.Query, source: "args" },
  host: { kind: Kind.Str, source: "host" },
  scheme: { kind: Kind.Str, source: "scheme" },
  server_protocol: { kind: Kind.Str, source: "server_protocol" },
  request_length: { kind: Kind.NginxNum, source: "request_length" },
  user_agent: { kind: Kind.Str, source: "http_user_agent" },
  referer: { kind: Kind.Str, source: "http_referer" },
  duration_ns: { kind: Kind.Nanoseconds, source: "request_time" },
};

/** The `ingress` format's fields, in order. */
export const INGRESS = [
  "time", "request_id", "hostname", "remote_addr", "client_ip", "request_method", "request_uri", "uri", "args",
  "status", "body_bytes_sent", "bytes_sent", "request_time", "connection_requests",
  "upstream_addr", "upstream_tries", "upstream_status", "upstream_connect_time", "upstream_header_time",
  "upstream_response_time", "upstream_bytes_sent", "upstream_bytes_received", "headers",
];

/** The ECS version the `ecs` format follows. */
export const ECS_VERSION = "8.11.0";

/** The `ecs` format's fields, in order (absent values are left out). */
export const ECS: FieldSpec[] = [
  { key: "@timestamp", kind: Kind.Time, source: "msec" },
  { key: "ecs.version", kind: Kind.Const, constant: ECS_VERSION },
  { key: "event.duration", kind: Kind.Nanoseconds, source: "request_time" },
  { key: "http.request.id", kind: Kind.Token, source: "request_id" },
  { key: "http.request.method", kind: Kind.Str, source: "request_method" },
  { key: "http.request.bytes", kind: Kind.NginxNum, source: "request_length" },
  { key: "http.request.referrer", kind: Kind.Str, source: "http_referer" },
  { key: "http.response.status_code", kind: Kind.NginxNum, source: "status" },
  { key: "http.response.bytes", kind: Kind.NginxNum, source: "bytes_sent" },
  { key: "http.response.body.bytes", kind: Kind.NginxNum, source: "body_bytes_sent" },
  { key: "http.version", kind: Kind.HttpVersion, source: "server_protocol" },
  { key: "url.domain", kind: Kind.Str, source: "host" },
  { key: "url.scheme", kind: Kind.Str, source: "scheme" },
  { key: "url.path", kind: Kind.Path, source: "request_uri" },
  { key: "url.query", kind: Kind.Query, source: "args" },
  { key: "client.ip", kind: Kind.ClientIp, source: "remote_addr" },
  { key: "source.ip", kind: Kind.Str, source: "realip_remote_addr" },
  { key: "source.port", kind: Kind.NginxNum, source: "remote_port" },
  { key: "user_agent.original", kind: Kind.Str, source: "http_user_agent" },
  { key: "host.hostname", kind: Kind.Str, source: "hostname" },
  { key: "tls.version_protocol", kind: Kind.ConstIfSet, source: "ssl_protocol", constant: "tls" },
  { key: "tls.version", kind: Kind.TlsVersion, source: "ssl_protocol" },
  { key: "tls.cipher", kind: Kind.Str, source: "ssl_cipher" },
  { key: "tls.client.server_name", kind: Kind.Str, source: "ssl_server_name" },
];

/** A user field: the output name and `$variable` or a KNOWN name; `type` for variables. */
export interface UserField {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
}

/** What redaction covers: header names, query names (lower case), session cookie names. */
export interface Redaction {
  readonly headers: NameSet;
  readonly query: NameSet;
  readonly cookies: NameSet;
}

/**
 * Compiled fields, as parallel 1-based tables the log phase walks without allocating:
 * `vars` are read once per request into a values table; field i's value comes from
 * `values[slot[i]]` (slot 0: none) and is made as `kinds[i]` says; its key text is
 * `prefixes[i]` (`,"key":`) or, when it comes first, `firsts[i]` (`{"key":`).
 */
export interface Plan {
  readonly vars: LuaTable<number, string>;
  readonly varCount: number;
  readonly count: number;
  readonly kinds: LuaTable<number, Kind>;
  readonly slots: LuaTable<number, number>;
  readonly constants: LuaTable<number, string>;
  readonly prefixes: LuaTable<number, string>;
  readonly firsts: LuaTable<number, string>;
  /** Leave out fields whose value is null (ecs) instead of writing null. */
  readonly omitNull: boolean;
  readonly needsHeaders: boolean;
  readonly needsClientIp: boolean;
}

/** A JSON string literal for a key we control (config text: escapes `"`, `\` and controls). */
function keyLiteral(this: void, key: string): string {
  const escaped = string.gsub(key, '[%c"\\]', (c: string) => string.format("\\u%04x", string.byte(c)))[0];
  return `"${escaped}"`;
}

/**
 * The kind a `$variable` gets: variables that carry a query, a Cookie header or a redacted
 * header are redacted like the built-in fields (a raw variable must not leak what redaction hides).
 */
function variableField(this: void, key: string, name: string, asNumber: boolean, redaction: Redaction): FieldSpec {
  const lowerName = string.lower(name);
  if (lowerName === "request_uri") return { key, kind: Kind.Uri, source: name };
  if (lowerName === "args" || lowerName === "query_string") return { key, kind: Kind.Query, source: name };
  if (lowerName === "request") return { key, kind: Kind.RequestLine, source: name };
  const [header] = string.match(lowerName, "^http_(.+)$");
  const [sent] = string.match(lowerName, "^sent_http_(.+)$");
  const headerName = header !== undefined ? header : sent;
  if (headerName !== undefined) {
    const dashed = string.gsub(headerName, "_", "-")[0];
    if (redaction.headers.get(dashed) === true) return { key, kind: Kind.Const, constant: "REDACTED" };
    // Session cookies stay hidden in a Cookie / Set-Cookie header that is logged.
    if (dashed === "cookie" || dashed === "set-cookie") return { key, kind: Kind.Cookie, source: name };
  }
  const [argName] = string.match(lowerName, "^arg_(.+)$");
  if (argName !== undefined && redaction.query.get(argName) === true) return { key, kind: Kind.Const, constant: "REDACTED" };
  const [cookieName] = string.match(name, "^cookie_(.+)$");
  if (cookieName !== undefined && (redaction.headers.get("cookie") === true || isListedCookie(cookieName, redaction.cookies))) {
    return { key, kind: Kind.Const, constant: "REDACTED" };
  }
  return { key, kind: asNumber ? Kind.Num : Kind.Str, source: name };
}

/** The specs of a user `fields` list; nil and the 1-based index of an unknown name. */
export function userSpecs(this: void, fields: UserField[], redaction: Redaction): LuaMultiReturn<[FieldSpec[], undefined] | [undefined, number]> {
  const specs: FieldSpec[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const [variable] = string.match(field.value, "^%$([%w_]+)$");
    if (variable !== undefined) {
      specs.push(variableField(field.name, variable, field.type === "number", redaction));
    } else {
      const known = KNOWN[field.value];
      if (known === undefined) return $multi(undefined, i + 1);
      specs.push({ key: field.name, kind: known.kind, source: known.source });
    }
  }
  return $multi(specs, undefined);
}

/** The specs of the `ingress` format. */
export function ingressSpecs(this: void): FieldSpec[] {
  const specs: FieldSpec[] = [];
  for (const name of INGRESS) specs.push({ key: name, kind: KNOWN[name].kind, source: KNOWN[name].source });
  return specs;
}

/** Compiles field specs to a Plan; each variable is read once however many fields use it. */
export function compile(this: void, specs: FieldSpec[], omitNull: boolean): Plan {
  const vars = new LuaTable<number, string>();
  const slotOf = new LuaTable<string, number>();
  let varCount = 0;
  const kinds = new LuaTable<number, Kind>();
  const slots = new LuaTable<number, number>();
  const constants = new LuaTable<number, string>();
  const prefixes = new LuaTable<number, string>();
  const firsts = new LuaTable<number, string>();
  let needsHeaders = false;
  let needsClientIp = false;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const index = i + 1;
    kinds.set(index, spec.kind);
    let slot = 0;
    if (spec.source !== undefined) {
      const existing = slotOf.get(spec.source);
      if (existing !== undefined) {
        slot = existing;
      } else {
        varCount++;
        vars.set(varCount, spec.source);
        slotOf.set(spec.source, varCount);
        slot = varCount;
      }
    }
    slots.set(index, slot);
    if (spec.constant !== undefined) constants.set(index, `"${spec.constant}"`);
    const key = keyLiteral(spec.key);
    prefixes.set(index, `,${key}:`);
    firsts.set(index, `{${key}:`);
    if (spec.kind === Kind.Headers) needsHeaders = true;
    if (spec.kind === Kind.ClientIp) needsClientIp = true;
  }
  return {
    vars, varCount, count: specs.length, kinds, slots, constants, prefixes, firsts, omitNull,
    needsHeaders, needsClientIp,
  };
}

/** The default header redaction list. */
export const DEFAULT_REDACT_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/** Builds the Redaction sets from config lists. */
export function redaction(this: void, headers: string[], query: string[], sessionCookie: string): Redaction {
  const cookies = new LuaTable<string, true>();
  cookies.set(sessionCookie, true);
  return { headers: nameSet(headers), query: nameSet(query), cookies };
}
