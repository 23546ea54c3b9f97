// plugins.openidc.jwt_json: strict JSON objects for JOSE headers, claims and JWK sets.
import * as cjsonSafe from "cjson.safe";

/** A JSON object as decoded by cjson: keys to values (JSON null is `cjson.null`). */
export type JsonObject = LuaTable<string, unknown>;

interface StrictSettings {
  decode_invalid_numbers(this: void, allow: boolean): boolean;
  decode_max_depth(this: void, depth: number): number;
}

// Our own instance, so settings made here touch no other user of cjson.
const json = cjsonSafe.new();
(json as unknown as StrictSettings).decode_invalid_numbers(false);
(json as unknown as StrictSettings).decode_max_depth(32);
const decode = json.decode;

/**
 * The JSON object in `text`, or `nil, "<what> is not a JSON object"`. Refuses NaN and
 * Infinity literals, nesting deeper than 32 and anything that is not an object at the top.
 */
export function decodeObject(text: string, what: string): LuaMultiReturn<[JsonObject, undefined] | [undefined, string]> {
  const [value] = decode(text);
  // An array decodes to a table too; its first element gives it away.
  if (type(value) !== "table" || (value as unknown[])[0] !== undefined) {
    return $multi(undefined, what + " is not a JSON object");
  }
  return $multi(value as JsonObject, undefined);
}

/** Whether v is a finite number (a JSON number that did not overflow to infinity). */
export function isFiniteNumber(v: unknown): v is number {
  return type(v) === "number" && (v as number) === (v as number) && (v as number) < math.huge && (v as number) > -math.huge;
}
