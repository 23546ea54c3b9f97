// LuaJIT settings the per-request code needs. One setting, process-wide: see raiseTraceConstants.

/**
 * LuaJIT's limit on constants in one trace (`maxirconst`, default 500), as resty-ts sets it. A
 * phase's handlers are compiled together from the dispatcher's runner; json_log's generated code
 * alone holds more than 500 constants (field keys, variable names, the unrolled header walk), and
 * over the limit LuaJIT abandons the trace ("trace too long") and runs the handler as small traces
 * joined by the interpreter: measured, ~1 us more per request.
 */
const TRACE_CONSTANTS = "maxirconst=1000";

/**
 * Raises LuaJIT's per-trace constant limit to 1000 (call at init). Raising it only lets longer
 * traces compile. It holds for the whole nginx: a user wanting another value sets it afterwards.
 */
export function raiseTraceConstants(this: void): void {
  if (type(jit) === "table") jit.opt.start(TRACE_CONSTANTS);
}
