// Straight-line code over a request's header lines, generated once at init. A loop in a request
// handler makes LuaJIT compile it as a trace of its own, and the side trace after it must then
// return through the dispatcher's pcall, which LuaJIT cannot compile: the rest of the handler
// runs in the interpreter (REFERENCE 3b). The usual header counts are handled without a loop.

/** Lines handled in straight-line code; lines after these (rare) in a loop. */
export const UNROLLED_LINES = 32;

/**
 * Lua source of a chunk that takes `upvalues` (as `...`) and returns `function(<params>)`, which
 * runs `body(at)` for `lines[0]` to `lines[count - 1]` (`params` must name `lines` and `count`)
 * and then returns `done`. Each body runs in its own block (its locals stay there) and may
 * return early; `at` is the line's index as Lua text.
 */
export function overLinesSource(this: void, upvalues: string, params: string, body: (this: void, at: string) => string, done: string): string {
  const source = [
    `local ${upvalues} = ...`,
    `local function beyond(${params})`,
    `  for i = ${UNROLLED_LINES}, count - 1 do`,
    `    ${body("i")}`,
    "  end",
    `  return ${done}`,
    "end",
    `return function(${params})`,
  ];
  for (let i = 0; i < UNROLLED_LINES; i++) {
    source.push(`  if count <= ${i} then return ${done} end`);
    source.push(`  do ${body(tostring(i))} end`);
  }
  source.push(`  return beyond(${params})`, "end");
  return source.join("\n");
}
