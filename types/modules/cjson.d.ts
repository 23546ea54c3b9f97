/**
 * lua-cjson 2.1.0 as Debian ships it (upstream, without OpenResty's additions such as
 * `empty_array` or `encode_empty_table_as_object`): JSON encoding and decoding. Allowed in every phase.
 * Empty tables encode as `{}`; `/` is escaped as `\/`.
 */
declare module "cjson" {
  /** Encodes a Lua value as JSON; raises an error on values JSON cannot hold. Phases: all. */
  export function encode(this: void, value: unknown): string;
  /** Decodes JSON text; raises an error on malformed input. JSON null becomes `cjson.null`. Phases: all. */
  export function decode(this: void, text: string): unknown;
  /** The value decode gives for JSON null and encode writes as null (a lightuserdata). */
  const nullValue: LuaUserdata;
  export { nullValue as null };
  /** Whether encode reuses one buffer between calls (true, the default); returns the setting. Phases: all. */
  export function encode_keep_buffer(this: void, keep?: boolean): boolean;
  /** Module name ("cjson"). Phases: all. */
  export const _NAME: string;
  /** Module version ("2.1.0"). Phases: all. */
  export const _VERSION: string;
  /** How to treat sparse arrays: (convert, ratio, safe); returns the settings. Phases: all. */
  export function encode_sparse_array(this: void, convert?: boolean, ratio?: number, safe?: number): LuaMultiReturn<[boolean, number, number]>;
  /** Significant digits for numbers (1 to 14, default 14); returns the setting. Phases: all. */
  export function encode_number_precision(this: void, precision?: number): number;
  /** Whether NaN and Infinity may be encoded and decoded; returns the setting. Phases: all. */
  export function encode_invalid_numbers(this: void, allow?: boolean | "null"): boolean;
  /** Whether NaN and Infinity may be decoded; returns the setting. Phases: all. */
  export function decode_invalid_numbers(this: void, allow?: boolean): boolean;
  /** Maximum nesting depth for encode; returns the setting. Phases: all. */
  export function encode_max_depth(this: void, depth?: number): number;
  /** Maximum nesting depth for decode; returns the setting. Phases: all. */
  export function decode_max_depth(this: void, depth?: number): number;
  /** Returns a new, independent cjson module instance with its own settings. */
  function newInstance(this: void): typeof import("cjson");
  export { newInstance as new };
}

/** lua-cjson 2.1 safe variant: functions return `nil, err` instead of raising. */
declare module "cjson.safe" {
  /** Encodes a Lua value as JSON; nil and a message on values JSON cannot hold. Phases: all. */
  export function encode(this: void, value: unknown): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Decodes JSON text; nil and a message on malformed input. Phases: all. */
  export function decode(this: void, text: string): LuaMultiReturn<[unknown, undefined] | [undefined, string]>;
  /** The value decode gives for JSON null (a lightuserdata). */
  const nullValue: LuaUserdata;
  export { nullValue as null };
  /** How to treat sparse arrays: (convert, ratio, safe); returns the settings. Phases: all. */
  export function encode_sparse_array(this: void, convert?: boolean, ratio?: number, safe?: number): LuaMultiReturn<[boolean, number, number]>;
  /** Significant digits for numbers (1 to 14, default 14); returns the setting. Phases: all. */
  export function encode_number_precision(this: void, precision?: number): number;
  /** Whether NaN and Infinity may be encoded; returns the setting. Phases: all. */
  export function encode_invalid_numbers(this: void, allow?: boolean | "null"): boolean;
  /** Whether NaN and Infinity may be decoded; returns the setting. Phases: all. */
  export function decode_invalid_numbers(this: void, allow?: boolean): boolean;
  /** Maximum nesting depth for encode; returns the setting. Phases: all. */
  export function encode_max_depth(this: void, depth?: number): number;
  /** Maximum nesting depth for decode; returns the setting. Phases: all. */
  export function decode_max_depth(this: void, depth?: number): number;
  /** Whether encode reuses one buffer between calls; returns the setting. Phases: all. */
  export function encode_keep_buffer(this: void, keep?: boolean): boolean;
  /** Module name ("cjson"). Phases: all. */
  export const _NAME: string;
  /** Module version ("2.1.0"). Phases: all. */
  export const _VERSION: string;
  /** Returns a new, independent cjson.safe instance with its own settings. */
  function newInstance(this: void): typeof import("cjson.safe");
  export { newInstance as new };
}
