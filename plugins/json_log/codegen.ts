// Generates, once at init, a Lua function that builds the entries of one Plan: straight-line
// code with each field's key text inlined and the common kinds written out, ending in one
// concatenation. Per-request Lua runs in LuaJIT's interpreter (REFERENCE 3b), where the generic
// loop of entry.build pays a table walk and a kind dispatch per field; this does not.
// The output equals entry.build's for every plan (spec/json_log/codegen_spec.lua checks it).
import { Kind } from "./fields";
import { build, piece, timestamp, timeParts, entryBuffer, type Encoder } from "./entry";
import { headersObject, headersInto } from "./headers";
import type { HeaderLines } from "../lib/variables";
import { quote, numberOrNull, numberList, stringList, quotedEntries, numberListEntries, MEMO_BYTES } from "./json";
import { objectOf, requestPath } from "./query";

/** Builds one entry (see entry.build) into entry.entryBuffer, replacing what it held. */
export type Builder = (
  this: void,
  values: LuaTable<number, string | undefined>,
  lines: HeaderLines | undefined,
  count: number,
  clientIp: string | undefined,
) => void;

/** Pieces per `B:put` call in the generated builder (see source). */
const PUT_ARGS = 8;

/** Beyond this many fields one concatenation would need too many Lua registers: use build. */
const MAX_INLINE_FIELDS = 60;

/**
 * The Lua expression for field i's JSON value, reading `v` (its variable's value). `memo`: the
 * memos of quote and numberList may be read first (a table read instead of a call; quote's only
 * when no memoized text can be longer than the cut, MAX).
 */
function expression(this: void, kind: Kind, i: number, memo: boolean): string {
  switch (kind) {
    case Kind.Str: return memo ? `v == nil and "null" or QUOTED[v] or quote(v, MAX)` : `v == nil and "null" or quote(v, MAX)`;
    case Kind.Token: return `v == nil and "null" or ('"' .. v .. '"')`;
    case Kind.NginxNum: return `(v == nil or v == "") and "null" or ((byte(v, 1) ~= 48 or byte(v, 2) == 46 or v == "0") and v or numberOrNull(v))`;
    case Kind.NumList: return `v ~= nil and NUMBER_LISTS[v] or numberList(v)`;
    case Kind.StrList: return `stringList(v, MAX)`;
    case Kind.Time: return `v ~= nil and timestamp(v) or "null"`;
    case Kind.ClientIp: return `(clientIp or v) == nil and "null" or quote(clientIp or v, MAX)`;
    case Kind.Path: return `v == nil and "null" or quote(requestPath(v), MAX)`;
    case Kind.Args: return `objectOf(v, REDACT_QUERY, MAX)`;
    case Kind.Headers: return `headersObject(E, lines, count)`;
    default: return `piece(E, ${i}, v, lines, count, clientIp)`;
  }
}

/** Lua source of the builder for the encoder's plan. */
export function source(this: void, encoder: Encoder): string {
  const plan = encoder.plan;
  const lines = [
    "local H, E = ...",
    "local quote, numberOrNull, numberList, stringList = H.quote, H.numberOrNull, H.numberList, H.stringList",
    "local timestamp, requestPath, objectOf, headersObject, piece = H.timestamp, H.requestPath, H.objectOf, H.headersObject, H.piece",
    "local headersInto, timeParts, B = H.headersInto, H.timeParts, H.entryBuffer",
    "local QUOTED, NUMBER_LISTS = H.quotedEntries, H.numberListEntries",
    "local byte, sub = string.byte, string.sub",
    "local MAX, REDACT_QUERY = E.maxValueBytes, E.redaction.query",
    "return function(values, lines, count, clientIp)",
    "  local v",
  ];
  const parts: string[] = [];
  const memo = encoder.maxValueBytes >= MEMO_BYTES;
  // Without omitNull the entry goes into the buffer piece by piece, the headers object too.
  const puts: string[] = [];
  // One put per PUT_ARGS pieces: a call with many more arguments is too much for LuaJIT's register
  // allocator ("NYI: register coalescing too complex"): the trace holding the builder is abandoned.
  const flush = (): void => {
    for (let first = 0; first < parts.length; first += PUT_ARGS) {
      const chunk: string[] = [];
      for (let j = first; j < parts.length && j < first + PUT_ARGS; j++) chunk.push(parts[j]);
      puts.push(`  B:put(${chunk.join(", ")})`);
    }
    parts.length = 0;
  };
  // The field whose stringList call also gave the entry count, by slot (upstream_addr's count
  // is upstream_tries: one call serves both).
  const listField = new LuaTable<number, number>();
  for (const i of $range(1, plan.count)) {
    const kind = plan.kinds.get(i);
    const slot = plan.slots.get(i);
    const counted = kind === Kind.Count ? listField.get(slot) : undefined;
    const direct = !plan.omitNull && kind === Kind.Headers;
    // Written in pieces (no per-entry string made for them): a token between quotes, the time.
    const pieces = plan.omitNull ? undefined : kind === Kind.Token ? "token" : kind === Kind.Time ? "time" : undefined;
    if (pieces !== undefined) {
      lines.push(`  v = values[${slot}]`);
      lines.push(`  local p${i}, q${i}, r${i} = "null", "", ""`);
      if (pieces === "token") lines.push(`  if v ~= nil then p${i}, q${i}, r${i} = '"', v, '"' end`);
      else lines.push(`  if v ~= nil then local date, fraction = timeParts(v) if date ~= nil then p${i}, q${i}, r${i} = date, fraction, 'Z"' end end`);
    } else if (counted !== undefined) {
      lines.push(`  local p${i} = c${counted}`);
    } else if (kind === Kind.StrList) {
      lines.push(`  v = values[${slot}]`);
      lines.push(`  local p${i}, c${i} = ${expression(kind, i, memo)}`);
      listField.set(slot, i);
    } else if (!direct) {
      lines.push(`  v = values[${slot}]`);
      lines.push(`  local p${i} = ${expression(kind, i, memo)}`);
    }
    if (plan.omitNull) {
      lines.push(`  if p${i} == "null" then p${i} = "" else p${i} = ${string.format("%q", plan.prefixes.get(i))} .. p${i} end`);
      parts.push(`p${i}`);
    } else {
      parts.push(string.format("%q", i === 1 ? plan.firsts.get(i) : plan.prefixes.get(i)));
      if (direct) {
        flush();
        puts.push("  headersInto(B, E, lines, count)");
      } else if (pieces !== undefined) {
        parts.push(`p${i}`, `q${i}`, `r${i}`);
      } else {
        parts.push(`p${i}`);
      }
    }
  }
  if (plan.omitNull) {
    lines.push(`  local body = ${parts.join(" .. ")}`);
    lines.push(`  B:reset()`);
    lines.push(`  if body == "" then B:put("{}") return end`);
    lines.push(`  B:put("{", sub(body, 2), "}")`);
  } else {
    parts.push(`"}"`);
    flush();
    lines.push("  B:reset()");
    for (const put of puts) lines.push(put);
  }
  lines.push("end");
  return lines.join("\n");
}

/** The helpers the generated code calls. */
const HELPERS = {
  quote, numberOrNull, numberList, stringList, timestamp, requestPath, objectOf, headersObject, piece, headersInto, timeParts,
  entryBuffer, quotedEntries, numberListEntries,
};

/**
 * The builder for the encoder: generated code, or a closure over entry.build for an empty
 * plan or one with more than MAX_INLINE_FIELDS fields.
 */
export function compileBuilder(this: void, encoder: Encoder): Builder {
  const count = encoder.plan.count;
  if (count === 0 || count > MAX_INLINE_FIELDS) {
    return (values, lines, lineCount, clientIp) => {
      entryBuffer.reset().put(build(encoder, values, lines, lineCount, clientIp));
    };
  }
  const [chunk, err] = loadstring(source(encoder), "=json_log.entry");
  if (chunk === undefined) throw `json_log: generated entry code does not compile: ${err}`;
  return (chunk as (this: void, helpers: typeof HELPERS, encoder: Encoder) => Builder)(HELPERS, encoder);
}
