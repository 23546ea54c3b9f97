/** lua-cjson 2.1: JSON encoding and decoding. Allowed in every phase. */
declare module "cjson" {
  /** Encodes a Lua value as JSON; raises an error on values JSON cannot hold. */
  export function encode(this: void, value: unknown): string;
  /** Decodes JSON text; raises an error on malformed input. JSON null becomes `cjson.null`. */
  export function decode(this: void, text: string): unknown;
  /** The value decode gives for JSON null and encode writes as null (a lightuserdata). */
  const nullValue: LuaUserdata;
  export { nullValue as null };
  /** Metatable that makes an empty table encode as `[]`. */
  export const empty_array_mt: LuaTable;
  /** A value that encodes as `[]`. */
  export const empty_array: LuaUserdata;
  /** Whether empty tables encode as `{}` (true, the default) or `[]` (false); returns the setting. */
  export function encode_empty_table_as_object(this: void, asObject?: boolean | "on" | "off"): boolean;
  /** Whether `/` is escaped as `\/` (true by default in 2.1.0); returns the setting. */
  export function encode_escape_forward_slash(this: void, escape?: boolean): boolean;
  /** How to treat sparse arrays: (convert, ratio, safe); returns the settings. */
  export function encode_sparse_array(this: void, convert?: boolean, ratio?: number, safe?: number): LuaMultiReturn<[boolean, number, number]>;
  /** Significant digits for numbers (1 to 14, default 14); returns the setting. */
  export function encode_number_precision(this: void, precision?: number): number;
  /** Whether NaN and Infinity may be encoded and decoded; returns the setting. */
  export function encode_invalid_numbers(this: void, allow?: boolean | "null"): boolean;
  /** Whether NaN and Infinity may be decoded; returns the setting. */
  export function decode_invalid_numbers(this: void, allow?: boolean): boolean;
  /** Maximum nesting depth for encode; returns the setting. */
  export function encode_max_depth(this: void, depth?: number): number;
  /** Maximum nesting depth for decode; returns the setting. */
  export function decode_max_depth(this: void, depth?: number): number;
  /** Returns a new, independent cjson module instance with its own settings. */
  function newInstance(this: void): typeof import("cjson");
  export { newInstance as new };
}

/** lua-cjson 2.1 safe variant: functions return `nil, err` instead of raising. */
declare module "cjson.safe" {
  /** Encodes a Lua value as JSON; nil and a message on values JSON cannot hold. */
  export function encode(this: void, value: unknown): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Decodes JSON text; nil and a message on malformed input. */
  export function decode(this: void, text: string): LuaMultiReturn<[unknown, undefined] | [undefined, string]>;
  /** The value decode gives for JSON null (a lightuserdata). */
  const nullValue: LuaUserdata;
  export { nullValue as null };
  /** Metatable that makes an empty table encode as `[]`. */
  export const empty_array_mt: LuaTable;
  /** A value that encodes as `[]`. */
  export const empty_array: LuaUserdata;
  /** Whether empty tables encode as `{}` (true, the default) or `[]` (false). */
  export function encode_empty_table_as_object(this: void, asObject?: boolean | "on" | "off"): boolean;
  /** Whether `/` is escaped as `\/`. */
  export function encode_escape_forward_slash(this: void, escape?: boolean): boolean;
  /** Returns a new, independent cjson.safe instance with its own settings. */
  function newInstance(this: void): typeof import("cjson.safe");
  export { newInstance as new };
}
