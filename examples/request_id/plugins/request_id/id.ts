// Which incoming request ids are kept: pure Lua, tested under busted.
const find = string.find;

/**
 * Whether `value` is a usable request id: 1 to `maxLength` characters from
 * [A-Za-z0-9._:-] (no spaces, quotes or control bytes that would corrupt logs or headers).
 */
export function isValidId(this: void, value: string | undefined, maxLength: number): boolean {
  if (value === undefined || value.length === 0 || value.length > maxLength) return false;
  return find(value, "^[%w%._:%-]+$")[0] !== undefined;
}

/** The nginx variable holding a request header: "X-Request-Id" -> "http_x_request_id". */
export function headerVariable(this: void, header: string): string {
  return `http_${string.gsub(string.lower(header), "-", "_")[0]}`;
}
