// prometheus: reading nginx's timing and size variables. Pure Lua (no ngx).
const find = string.find;
const sub = string.sub;

/**
 * The number an upstream variable holds, with several values summed as ingress-nginx does:
 * `0.010, 0.020 : 0.005` (retries after ", ", internal redirects after " : ") gives 0.035.
 * nil for nil, "" and "-" (no upstream was contacted); "-" entries in a list are skipped.
 */
export function upstreamSum(this: void, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const single = tonumber(value);
  if (single !== undefined) return single;
  let total = 0;
  let found = false;
  let position = 1;
  for (;;) {
    const [first, last] = find(value, "%d+%.?%d*", position);
    if (first === undefined) break;
    total += tonumber(sub(value, first, last)) as number;
    found = true;
    position = (last as number) + 1;
  }
  return found ? total : undefined;
}
