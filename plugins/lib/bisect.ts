// Generated binary searches: Lua source of nested `if`s over sorted bounds, compiled once at init,
// so that per-request code finds its place with no loop and no table read. A loop in a request
// handler stops LuaJIT from compiling the handler around it as one trace, and a loop over a
// table shared by several callers leaves its trace at a different exit for each.

const floor = math.floor;
const format = string.format;

/**
 * Lua source that branches on `<value> <= bound` down to one leaf: `leaf(i)` for the first of
 * the ascending `bounds` (0-based) that the value does not exceed, `leaf(bounds.length)` when
 * it exceeds them all. Bounds are written exactly (%.17g).
 */
export function bisectSource(this: void, bounds: readonly number[], value: string, leaf: (this: void, index: number) => string): string {
  const branch = (low: number, high: number): string => {
    if (low > high) return leaf(low);
    const mid = floor((low + high) / 2);
    return `if ${value} <= ${format("%.17g", bounds[mid])} then ${branch(low, mid - 1)} else ${branch(mid + 1, high)} end`;
  };
  return branch(0, bounds.length - 1);
}
