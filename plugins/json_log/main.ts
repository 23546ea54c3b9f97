// json_log: one strictly valid JSON line per request, written to an nginx variable (for
// access_log), a file or an HTTP collector. Phase handlers only; see the sibling modules.
import * as config from "../lib/config";
import { clientIp } from "../lib/client";
import { parse, crossCheck, redactedHeaders, redactedQuery, type JsonLogConfig } from "./config";
import { compile, ingressSpecs, userSpecs, redaction, ECS, type FieldSpec } from "./fields";
import { entryBuffer, type Encoder } from "./entry";
import { compileBuilder, type Builder } from "./codegen";
import * as fileSink from "./file_sink";
import * as httpSink from "./http_sink";
import { raiseTraceConstants } from "../lib/jit";
import { requestHeaderLines, slotClearer, variableReader, variableSetter, type VariableReader, type VariableSetter } from "../lib/variables";

/** The openidc plugin's session cookie name when its section does not set one. */
const DEFAULT_SESSION_COOKIE = "resty_ts_session";

const ngxLog = ngx.log;
const ERR = ngx.ERR;

/** The openidc session cookie name (`openidc.cookie.name`), whose value is always redacted. */
function sessionCookieName(this: void): string {
  const [section] = config.section("openidc");
  if (type(section) !== "table") return DEFAULT_SESSION_COOKIE;
  const cookie = (section as { cookie?: unknown }).cookie;
  if (type(cookie) !== "table") return DEFAULT_SESSION_COOKIE;
  const name = (cookie as { name?: unknown }).name;
  return type(name) === "string" && name !== "" ? (name as string) : DEFAULT_SESSION_COOKIE;
}

/** Builds the encoder from a checked config, or returns the problem. */
function makeEncoder(this: void, settings: JsonLogConfig): LuaMultiReturn<[Encoder, undefined] | [undefined, string]> {
  const redact = redaction(redactedHeaders(settings), redactedQuery(settings), sessionCookieName());
  let specs: FieldSpec[];
  if (settings.format === "ingress") {
    specs = ingressSpecs();
  } else if (settings.format === "ecs") {
    specs = ECS;
  } else {
    const [userFields, badIndex] = userSpecs(settings.fields, redact);
    if (userFields === undefined) return $multi(undefined, `key "fields[${badIndex}].value": expected a $variable or a built-in field name`);
    specs = userFields;
  }
  return $multi({
    plan: compile(specs, settings.format === "ecs"),
    redaction: redact,
    includeHeaders: settings.include_headers,
    maxValueBytes: settings.max_value_bytes,
  }, undefined);
}

/**
 * nginx's upstream list variables: set exactly when `$upstream_addr` is (all read
 * r->upstream_states), so without an upstream they need not be asked for.
 */
const UPSTREAM_LISTS: { [name: string]: boolean } = {
  upstream_status: true, upstream_connect_time: true, upstream_header_time: true, upstream_response_time: true,
  upstream_bytes_sent: true, upstream_bytes_received: true, upstream_response_length: true, upstream_queue_time: true,
};
/** Variables fixed for a worker's life: read on its first request only. */
const PER_WORKER: { [name: string]: boolean } = { hostname: true, pid: true };

/** A list of variables to read: names and the value slots (Lua indexes) they fill. */
interface Reads { names: string[]; slots: number[] }
const newReads = (): Reads => ({ names: [], slots: [] });
function addRead(this: void, reads: Reads, name: string, slot: number): void {
  reads.names.push(name);
  reads.slots.push(slot);
}

function noRead(this: void): void {
  // No variables to read.
}

/** A generated reader for a list (plugins/lib/variables.ts); names were checked by the config. */
function readerOf(this: void, reads: Reads): VariableReader {
  if (reads.names.length === 0) return noRead;
  const [reader, problem] = variableReader(reads.names, reads.slots);
  if (reader === undefined) throw `json_log: ${problem}`;
  return reader;
}

/** Every request's reads; the upstream lists (only with an upstream); the per-worker ones. */
let readAlways: VariableReader = noRead;
let readUpstreamLists: VariableReader = noRead;
let readPerWorker: VariableReader = noRead;
/** Clears the upstream lists' slots when there was no upstream. */
let clearUpstreamLists: VariableReader = noRead;
/** The slot of `$upstream_addr` when the upstream lists depend on it, else 0. */
let addressSlot = 0;
let perWorkerRead = false;

/** Splits the plan's variables into the three read lists. */
function planReads(this: void, plan: Encoder["plan"]): void {
  const always = newReads();
  const upstreamLists = newReads();
  const perWorker = newReads();
  addressSlot = 0;
  for (const slot of $range(1, plan.varCount)) {
    if (plan.vars.get(slot) === "upstream_addr") addressSlot = slot;
  }
  for (const slot of $range(1, plan.varCount)) {
    const name = plan.vars.get(slot);
    if (PER_WORKER[name] === true) addRead(perWorker, name, slot);
    else if (addressSlot !== 0 && UPSTREAM_LISTS[name] === true) addRead(upstreamLists, name, slot);
    else addRead(always, name, slot);
  }
  readAlways = readerOf(always);
  readUpstreamLists = readerOf(upstreamLists);
  readPerWorker = readerOf(perWorker);
  clearUpstreamLists = slotClearer(upstreamLists.slots);
}

let encoder: Encoder | undefined;
/** The variable sink's setter (see plugins/lib/variables.ts), made when the config is loaded. */
let setVariable: VariableSetter | undefined;
let builder: Builder | undefined;
let sink: JsonLogConfig["sink"] = "variable";
let variableName = "json_log";

const [settings] = config.load("json_log", parse);
if (settings !== undefined) {
  let problem = crossCheck(settings);
  if (problem === undefined) {
    const [made, err] = makeEncoder(settings);
    encoder = made;
    problem = err;
  }
  if (problem !== undefined) {
    // Logging with a config the user did not mean could leak what they meant to redact.
    ngxLog(ERR, `resty-ts: plugin "json_log": invalid config: ${problem}; nothing will be logged`);
  } else {
    builder = compileBuilder(encoder as Encoder);
    // Also under ingress-nginx's own dispatcher: the log handler compiles whole only with it.
    raiseTraceConstants();
    planReads((encoder as Encoder).plan);
    sink = settings.sink;
    variableName = settings.variable;
    setVariable = variableSetter(variableName);
    if (sink === "file") fileSink.configure(settings.file.path as string, settings.file.buffer_size, settings.file.flush_interval);
    if (sink === "http") httpSink.configure(settings.http as typeof settings.http & { url: string });
  }
}

// Per-request scratch: the variable values, in plan order (the log phase never yields).
const values = new LuaTable<number, string | undefined>();

/** The variable sink: copies the entry from the buffer into the variable; an error turns logging off. */
function writeVariable(this: void): void {
  const [pointer, length] = entryBuffer.ref();
  const problem = (setVariable as VariableSetter)(pointer, length);
  if (problem === undefined) return;
  encoder = undefined;
  ngxLog(ERR, `resty-ts: plugin "json_log": cannot set $${variableName} (declare it with \`set $${variableName} "";\` in the server): ${problem}; nothing will be logged`);
}

/**
 * Whether client_ip must ask plugins/lib/client (which reads ngx.ctx). Only real_ip sets the
 * address there; without it `$remote_addr` (read with the other variables) is the answer, and
 * not touching ngx.ctx saves creating it for every request.
 */
let readsContext = false;
const loadedModules = (_G as unknown as { package: { loaded: LuaTable<string, unknown> } }).package.loaded;

function initWorker(this: void): void {
  if (encoder === undefined) return;
  readsContext = encoder.plan.needsClientIp && loadedModules.get("plugins.real_ip.main") !== undefined;
  if (sink === "file") fileSink.start();
  else if (sink === "http") httpSink.start();
}

function log(this: void): void {
  const current = encoder;
  if (current === undefined) return;
  readAlways(values);
  if (addressSlot === 0 || values.get(addressSlot) !== undefined) readUpstreamLists(values);
  else clearUpstreamLists(values);
  if (!perWorkerRead) {
    readPerWorker(values);
    perWorkerRead = true;
  }
  const address = readsContext ? clientIp() : undefined;
  if (current.plan.needsHeaders) {
    const [lines, count] = requestHeaderLines();
    (builder as Builder)(values, lines, count, address);
  } else {
    (builder as Builder)(values, undefined, 0, address);
  }
  if (sink === "variable") writeVariable();
  else if (sink === "file") fileSink.write(entryBuffer);
  else httpSink.write(entryBuffer.tostring());
}

const plugin: Plugin = { name: "json_log", init_worker: initWorker, log };
export = plugin;
