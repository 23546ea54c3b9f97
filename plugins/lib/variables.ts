// lua-nginx-module's FFI functions for variables and request headers, called directly from the
// per-request handlers: a reader for a fixed list of variables (straight-line code generated at
// init), a variable setter taking a pointer (a string.buffer's contents), a request header setter
// that reports failure instead of throwing, the request's header lines, and one header's first
// line.
//
// Why not `ngx.var[name]` in a loop: a loop inside a handler stops LuaJIT from compiling the
// handler as a whole. The generated reader calls the same getter `ngx.var` uses once per name,
// with the name as a constant: no loop, no argument checks. Where LuaJIT interprets it, each
// value read still boxes the getter's pointer result (a small cdata); compiled, it does not. A
// handler that LuaJIT compiles whole (real_ip's) may as well read a few `ngx.var` fields directly.
import * as ffi from "ffi";
import { get_request } from "resty.core.base";
import { overLinesSource } from "./unrolled";

// lua-nginx-module's variable getter (lua-resty-core's resty.core.var declares it too: pcall).
pcall(ffi.cdef, `int ngx_http_lua_ffi_var_get(ngx_http_request_t *r, const char *name_data, size_t name_len,
  char *lowcase_buf, int capture_id, char **value, size_t *value_len, char **err);`);

/**
 * Fills `values` with the named variables of the current request (nil when unset): by default
 * names[i] goes to `values[i]` (Lua index i + 1), else to the Lua index `slots[i]`.
 */
export type VariableReader = (this: void, values: (string | undefined)[] | LuaTable<number, string | undefined>) => void;

const valuePointer = ffi.new("char *[1]");
const valueLength = ffi.new("size_t[1]");
// The length's low 32 bits as a plain number: reading a size_t gives a boxed 64-bit cdata, one
// allocation per variable wherever LuaJIT interprets the reader (little-endian targets).
const lengthLow = ffi.abi("le") ? ffi.cast("uint32_t *", valueLength) : valueLength;
const errorText = ffi.new("char *[1]");
const toLuaString = ffi.string;

/** nginx variable names: letters, digits and `_` (what the generated code can hold as a constant). */
function validName(this: void, name: unknown): boolean {
  return type(name) === "string" && string.find(name as string, "^[%w_]+$")[0] !== undefined;
}

/**
 * A reader for these variable names (built once, at init), writing each to its slot (Lua
 * indexes, default 1..n). Returns nil and why for a name that is not a plain variable name.
 */
export function variableReader(this: void, names: readonly string[], slots?: readonly number[]): LuaMultiReturn<[VariableReader, undefined] | [undefined, string]> {
  let longest = 1;
  const lines = [
    "local C, get_request, ffi_str, value, length, err, lower, lengthLow = ...",
    "local var_get = C.ngx_http_lua_ffi_var_get",
    "return function(v)",
    "  local r = get_request()",
  ];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (!validName(name)) return $multi(undefined, `"${tostring(name)}" is not an nginx variable name`);
    if (name.length > longest) longest = name.length;
    const slot = slots !== undefined ? slots[i] : i + 1;
    if (type(slot) !== "number") return $multi(undefined, `no slot for "${name}"`);
    lines.push(`  if var_get(r, "${name}", ${name.length}, lower, 0, value, length, err) == 0 then v[${slot}] = ffi_str(value[0], lengthLow[0]) else v[${slot}] = nil end`);
  }
  lines.push("end");
  const [chunk, syntaxError] = loadstring(lines.join("\n"), "=variables.reader");
  if (chunk === undefined) return $multi(undefined, syntaxError as string);
  // The getter writes the lower-cased name here; one buffer per reader, sized for its longest name.
  const lower = ffi.new("char[?]", longest);
  const reader = (chunk as (this: void, ...args: unknown[]) => VariableReader)(ffi.C, get_request, toLuaString, valuePointer, valueLength, errorText, lower, lengthLow);
  return $multi(reader, undefined);
}

/**
 * A function that sets these slots (Lua indexes) of a values table to nil, for a reader's slots
 * left unread: straight-line code, as a loop would keep LuaJIT from compiling the handler whole.
 */
export function slotClearer(this: void, slots: readonly number[]): VariableReader {
  const lines = ["return function(v)"];
  for (const slot of slots) lines.push(`  v[${string.format("%d", slot)}] = nil`);
  lines.push("end");
  const [chunk] = loadstring(lines.join("\n"), "=variables.clearer");
  return (chunk as (this: void) => VariableReader)();
}

// lua-nginx-module's request header setter (resty.core.request declares it too: pcall).
pcall(ffi.cdef, `int ngx_http_lua_ffi_req_set_header(ngx_http_request_t *r, const unsigned char *key, size_t key_len,
  const unsigned char *value, size_t value_len, ngx_http_lua_ffi_str_t *mvals, size_t mvals_len, int override, char **errmsg);`);
const setHeaderFfi: (this: void, r: unknown, key: string, keyLength: number, value: string | undefined, valueLength: number,
  mvals: undefined, mvalsLength: number, override: number, err: unknown) => number = ffi.C.ngx_http_lua_ffi_req_set_header;
/** ngx_http_lua_ffi_req_set_header's "done" codes: FFI_OK, and FFI_DECLINED (nothing to remove). */
const OK = 0;
const DECLINED = -5;

/**
 * Sets (or, with nil, removes) a request header of the current request, replacing every line of
 * it, as `ngx.req.set_header` does but without its argument checks (the callers pass strings).
 * Returns false when nginx could not (no request, wrong phase, no memory): unlike
 * ngx.req.set_header this does not throw, so a caller that must not let the old value through
 * can deny the request.
 */
export function setRequestHeader(this: void, name: string, value: string | undefined): boolean {
  // The C functions take the request as given: none (a timer, init_worker) must not reach them.
  const r = get_request();
  if (r === undefined) return false;
  const rc = setHeaderFfi(r, name, name.length, value, value !== undefined ? value.length : 0, undefined, 0, 1, errorText);
  return rc === OK || rc === DECLINED;
}

// lua-nginx-module's variable setter (resty.core.var declares it too: pcall).
pcall(ffi.cdef, `int ngx_http_lua_ffi_var_set(ngx_http_request_t *r, const unsigned char *name_data, size_t name_len,
  unsigned char *lowcase_buf, const unsigned char *value, size_t value_len, unsigned char *errbuf, size_t *errlen);`);
const setVariableFfi: (this: void, r: unknown, name: string, nameLength: number, lower: unknown, value: unknown,
  valueLength: number, errorBuffer: unknown, errorLength: unknown) => number = ffi.C.ngx_http_lua_ffi_var_set;
const ERROR_BYTES = 256;
const setterError = ffi.new("unsigned char[?]", ERROR_BYTES);
// Indexed as a C array: an index-signature type, so TypeScriptToLua keeps index 0 as 0.
const setterErrorLength = ffi.new("size_t[1]") as unknown as { [i: number]: number };

/** A setter for one nginx variable: copies `length` bytes at `value` into it for the current request. */
export type VariableSetter = (this: void, value: unknown, length: number) => string | undefined;

/**
 * A setter for the variable `name` (declared in nginx.conf with `set $name "";`), taking the
 * bytes from a pointer, such as a string.buffer's `ref()`, so the value never becomes a Lua
 * string. The setter returns nil, or nginx's error text (an undeclared variable, no request).
 */
export function variableSetter(this: void, name: string): VariableSetter {
  const lower = ffi.new("unsigned char[?]", math.max(name.length, 1));
  return (value, length) => {
    setterErrorLength[0] = ERROR_BYTES;
    const r = get_request();
    if (r === undefined) return "no request";
    if (setVariableFfi(r, name, name.length, lower, value, length, setterError, setterErrorLength) === OK) return undefined;
    return toLuaString(setterError, setterErrorLength[0]);
  };
}

// ---- The request's header lines ----
// ngx.req.get_headers() builds a new table (with a metatable) and a string per name and value;
// these functions hand out nginx's lines (reused C array) and make only the strings asked for.
pcall(ffi.cdef, `int ngx_http_lua_ffi_req_get_headers_count(ngx_http_request_t *r, int max, int *truncated);
int ngx_http_lua_ffi_req_get_headers(ngx_http_request_t *r, ngx_http_lua_ffi_table_elt_t *out, int count, int raw);`);
/** One request header line: the name (lower case) and the value, each as pointer and length. */
export interface HeaderLine { key: { data: unknown; len: number }; value: { data: unknown; len: number } }
/** Header lines indexed from 0 (a C array). */
export type HeaderLines = { [i: number]: HeaderLine };
const headerCount: (this: void, r: unknown, max: number, truncated: unknown) => number = ffi.C.ngx_http_lua_ffi_req_get_headers_count;
const headerLines: (this: void, r: unknown, out: unknown, count: number, raw: number) => number = ffi.C.ngx_http_lua_ffi_req_get_headers;
const truncatedFlag = ffi.new("int[1]");
let lineCapacity = 0;
let lines = undefined as unknown as HeaderLines;

/**
 * Puts the current request's header lines (lower-case names) into `lines`; returns how many, or
 * -1 when they cannot be read here.
 */
function loadHeaderLines(this: void): number {
  // The C functions take the request as given: none (a timer, init_worker) must not reach them.
  const r = get_request();
  if (r === undefined) return -1;
  const count = headerCount(r, 0, truncatedFlag);
  if (count <= 0) return count;
  if (count > lineCapacity) {
    lineCapacity = math.max(count, 2 * lineCapacity, 32);
    lines = ffi.new("ngx_http_lua_ffi_table_elt_t[?]", lineCapacity) as unknown as HeaderLines;
  }
  return headerLines(r, lines, count, 0) === OK ? count : -1;
}

// Names are compared in place (nginx's lower-cased copies), without making strings.
pcall(ffi.cdef, "int memcmp(const void *s1, const void *s2, size_t n);");
/** The 0-based index of the first of `count` lines named `name` (`length` bytes), or -1. */
type LineIndex = (this: void, lines: unknown, count: number, name: string, length: number) => number;
const [lineIndexChunk] = loadstring(overLinesSource("memcmp", "lines, count, name, length", (at) =>
  `local l = lines[${at}] if l.key.len == length and memcmp(l.key.data, name, length) == 0 then return ${at} end`, "-1"), "=variables.lineIndex");
const lineIndex = (lineIndexChunk as (this: void, memcmp: unknown) => LineIndex)(ffi.C.memcmp);

/**
 * The value of the first line of request header `name` (lower case), or nil. Names are compared
 * as sent: `x-real-ip` is not `X_Real_IP`, which `$http_x_real_ip` would also give. One pass
 * over nginx's header list, in straight-line code for the first 32 lines; no string is made but
 * the value's.
 */
export function firstRequestHeader(this: void, name: string): string | undefined {
  // First: loading may replace `lines` with a larger array.
  const count = loadHeaderLines();
  const at = lineIndex(lines, count, name, name.length);
  if (at < 0) return undefined;
  const line = lines[at];
  return toLuaString(line.value.data as never, line.value.len);
}

/**
 * The current request's header lines, in request order with lower-case names, and how many;
 * count -1 (and no lines) when they cannot be read here. The array is reused: it is valid until
 * the next call of a function of this module that reads headers, within the caller's handler.
 */
export function requestHeaderLines(this: void): LuaMultiReturn<[HeaderLines | undefined, number]> {
  const count = loadHeaderLines();
  return $multi(count > 0 ? lines : undefined, count);
}
