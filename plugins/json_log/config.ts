// The `json_log` configuration section: format, fields, sink and its settings, headers to log,
// redaction and value size. Checked once at module load (see plugins/lib/config.ts).
import * as schema from "../lib/schema";
import { DEFAULT_REDACT_HEADERS, KNOWN } from "./fields";

/** Query parameters redacted by default: bearer tokens and OAuth codes sent in URLs. */
export const DEFAULT_REDACT_QUERY = ["access_token", "id_token", "refresh_token", "code", "client_secret"];

const headerName = schema.custom<string>("a header name (letters, digits, -, _)", (value) => {
  if (type(value) !== "string" || string.find(value as string, "^[%w%-_]+$")[0] === undefined) return undefined;
  return string.lower(value as string);
});

const queryName = schema.str({ nonEmpty: true });

/** A name of `defaults` (compared in lower case): what `unredact_*` may take off. */
function oneOfDefaults(this: void, defaults: string[]) {
  return schema.custom<string>(`one of ${table.concat(defaults, ", ")}`, (value) => {
    if (type(value) !== "string") return undefined;
    const lowered = string.lower(value as string);
    for (const name of defaults) if (name === lowered) return lowered;
    return undefined;
  });
}

/** A user field: the value is `$variable` or the name of a built-in field. */
const field = schema.record({
  name: schema.str({ nonEmpty: true }),
  value: schema.custom<string>("a $variable or a built-in field name", (value) => {
    if (type(value) !== "string") return undefined;
    const text = value as string;
    if (string.find(text, "^%$[%w_]+$")[0] !== undefined || KNOWN[text] !== undefined) return text;
    return undefined;
  }),
  type: schema.str({ oneOf: ["string", "number"], default: "string" }),
});

/** An http(s) URL, checked for shape here (the client parses it again). */
const url = schema.custom<string>("an http:// or https:// URL", (value) => {
  if (type(value) !== "string" || string.find(value as string, "^[hH][tT][tT][pP][sS]?://[^%s/]+")[0] === undefined) return undefined;
  return value as string;
});

/** Checks the whole section. */
export const parse = schema.record({
  format: schema.str({ oneOf: ["ingress", "ecs", "fields"], default: "ingress" }),
  fields: schema.list(field),
  sink: schema.str({ oneOf: ["variable", "file", "http"], default: "variable" }),
  variable: schema.str({ default: "json_log", nonEmpty: true }),
  file: schema.record({
    path: schema.optional(schema.str({ nonEmpty: true })),
    buffer_size: schema.num({ default: 65536, min: 0, max: 16777216, integer: true }),
    flush_interval: schema.num({ default: 1, min: 0.01, max: 60 }),
  }),
  http: schema.record({
    url: schema.optional(url),
    headers: schema.dictionary(schema.str()),
    batch_size: schema.num({ default: 500, min: 1, max: 100000, integer: true }),
    flush_interval: schema.num({ default: 1, min: 0.01, max: 60 }),
    queue_limit: schema.num({ default: 10000, min: 1, max: 10000000, integer: true }),
    timeout: schema.num({ default: 5000, min: 1, max: 600000, integer: true }),
    retries: schema.num({ default: 3, min: 0, max: 100, integer: true }),
    retry_delay: schema.num({ default: 1, min: 0.01, max: 600 }),
  }),
  include_headers: schema.optional(schema.list(headerName)),
  // Added to the defaults; taking a default off takes the explicit unredact_* key.
  redact_headers: schema.list(headerName),
  unredact_headers: schema.list(oneOfDefaults(DEFAULT_REDACT_HEADERS)),
  redact_query: schema.list(queryName),
  unredact_query: schema.list(oneOfDefaults(DEFAULT_REDACT_QUERY)),
  max_value_bytes: schema.num({ default: 4096, min: 16, max: 1048576, integer: true }),
});

/** The checked section. */
export type JsonLogConfig = schema.Parsed<typeof parse>;

/** `defaults` without the names in `removed`, then `added` (all lower case). */
function merged(this: void, defaults: string[], added: string[], removed: string[]): string[] {
  const out: string[] = [];
  for (const name of defaults) {
    let keep = true;
    for (const gone of removed) if (gone === name) keep = false;
    if (keep) out.push(name);
  }
  for (const name of added) out.push(string.lower(name));
  return out;
}

/** The header names to redact: the defaults, less `unredact_headers`, plus `redact_headers`. */
export function redactedHeaders(this: void, config: JsonLogConfig): string[] {
  return merged(DEFAULT_REDACT_HEADERS, config.redact_headers, config.unredact_headers);
}

/** The query parameter names to redact, likewise. */
export function redactedQuery(this: void, config: JsonLogConfig): string[] {
  return merged(DEFAULT_REDACT_QUERY, config.redact_query, config.unredact_query);
}

/** The first name found in both lists, or nil. */
function overlap(this: void, a: string[], b: string[]): string | undefined {
  for (const x of a) for (const y of b) if (string.lower(x) === y) return y;
  return undefined;
}

/**
 * Checks what the schema cannot see alone (which keys the format and sink need); returns
 * the problem as `key "...": ...`, or nil.
 */
export function crossCheck(this: void, config: JsonLogConfig): string | undefined {
  if (config.format === "fields" && config.fields.length === 0) {
    return 'key "fields": expected a list of at least 1 field when format is "fields", found nothing';
  }
  if (config.format !== "fields" && config.fields.length > 0) {
    return `key "fields": only used with format "fields", found it with format "${config.format}"`;
  }
  if (config.sink === "file" && config.file.path === undefined) {
    return 'key "file.path": expected a file path when sink is "file", found nothing';
  }
  if (config.sink === "http" && config.http.url === undefined) {
    return 'key "http.url": expected an http:// or https:// URL when sink is "http", found nothing';
  }
  const header = overlap(config.redact_headers, config.unredact_headers);
  if (header !== undefined) return `key "unredact_headers": "${header}" is also in redact_headers; name it in one list`;
  const query = overlap(config.redact_query, config.unredact_query);
  if (query !== undefined) return `key "unredact_query": "${query}" is also in redact_query; name it in one list`;
  if (string.find(config.variable, "^[%w_]+$")[0] === undefined) {
    return `key "variable": expected an nginx variable name (letters, digits, _), found ${schema.describe(config.variable)}`;
  }
  return undefined;
}
