// Declarative config validation, run once at init (never per request).
// A schema is a Parser: it returns the checked value with defaults filled in, or throws a
// ConfigError naming the key, what was expected and what was found.
import * as cjson from "cjson.safe";

/** A config problem: the key path ("trusted[2]"), what was expected, what was found. */
export interface ConfigError {
  readonly isConfigError: true;
  readonly key: string;
  readonly expected: string;
  readonly found: string;
}

/** Throws a ConfigError (`found` is a description, see `describe`). */
export function configError(this: void, key: string, expected: string, found: string): never {
  const problem: ConfigError = { isConfigError: true, key, expected, found };
  throw problem;
}

/** One line: `key "trusted[2]": expected an address or CIDR, found string "x"`. */
export function explain(this: void, problem: ConfigError): string {
  return `key "${problem.key}": expected ${problem.expected}, found ${problem.found}`;
}

type AnyTable = LuaTable<AnyNotNil, unknown>;

/** Checks one config value; `key` is its path for error messages. Throws ConfigError. */
export type Parser<T> = (this: void, value: unknown, key: string) => T;

/** The type a Parser produces. */
export type Parsed<P> = P extends Parser<infer T> ? T : never;

const MAX_SHOWN = 60;

/** Describes a config value for an error message. */
export function describe(this: void, value: unknown): string {
  if (value === undefined || value === cjson.null) return "nothing";
  const luaType = type(value);
  if (luaType === "string") {
    const text = value as string;
    const shown = text.length > MAX_SHOWN ? `${string.sub(text, 1, MAX_SHOWN)}...` : text;
    return `string ${string.format("%q", shown)}`;
  }
  if (luaType === "number" || luaType === "boolean") return `${luaType} ${tostring(value)}`;
  if (luaType === "table") {
    if (next(value as AnyTable)[0] === undefined) return "an empty table";
    return isList(value) ? "a list" : "an object";
  }
  return `a ${luaType}`;
}

/** Whether a table is a list: keys exactly 1..n (an empty table counts as one). */
export function isList(this: void, value: unknown): boolean {
  if (type(value) !== "table") return false;
  const table = value as AnyTable;
  let count = 0;
  for (const [key] of pairs(table)) {
    if (type(key) !== "number") return false;
    count++;
  }
  return count === table.length();
}

function fail(this: void, key: string, expected: string, value: unknown): never {
  return configError(key, expected, describe(value));
}

function absent(this: void, value: unknown): boolean {
  return value === undefined || value === cjson.null;
}

/** Options shared by the scalar parsers. */
interface ScalarOptions<T> {
  /** Used when the key is absent; without it the key is required. */
  default?: T;
}

/** A string; `oneOf` restricts it to listed values, `nonEmpty` refuses "". */
export function str(this: void, options: ScalarOptions<string> & { oneOf?: string[]; nonEmpty?: boolean; minLength?: number } = {}): Parser<string> {
  const expected = options.oneOf !== undefined ? `one of ${options.oneOf.map((v) => `"${v}"`).join(", ")}` : "a string";
  return (value, key) => {
    if (absent(value)) {
      if (options.default !== undefined) return options.default;
      return fail(key, expected, value);
    }
    if (type(value) !== "string") return fail(key, expected, value);
    const text = value as string;
    if (options.oneOf !== undefined && !options.oneOf.includes(text)) return fail(key, expected, value);
    if (options.nonEmpty === true && text === "") return fail(key, "a non-empty string", value);
    if (options.minLength !== undefined && text.length < options.minLength) {
      return fail(key, `a string of at least ${options.minLength} bytes`, value);
    }
    return text;
  };
}

/** A number, optionally an integer within [min, max]. */
export function num(this: void, options: ScalarOptions<number> & { min?: number; max?: number; integer?: boolean } = {}): Parser<number> {
  let expected = options.integer === true ? "an integer" : "a number";
  if (options.min !== undefined && options.max !== undefined) expected += ` from ${options.min} to ${options.max}`;
  else if (options.min !== undefined) expected += ` of at least ${options.min}`;
  else if (options.max !== undefined) expected += ` of at most ${options.max}`;
  return (value, key) => {
    if (absent(value)) {
      if (options.default !== undefined) return options.default;
      return fail(key, expected, value);
    }
    if (type(value) !== "number") return fail(key, expected, value);
    const n = value as number;
    // n !== n is NaN; math.huge checks refuse infinities.
    if (n !== n || n === math.huge || n === -math.huge) return fail(key, expected, value);
    if (options.integer === true && math.floor(n) !== n) return fail(key, expected, value);
    if (options.min !== undefined && n < options.min) return fail(key, expected, value);
    if (options.max !== undefined && n > options.max) return fail(key, expected, value);
    return n;
  };
}

/** A boolean, `fallback` when absent. */
export function bool(this: void, fallback?: boolean): Parser<boolean> {
  return (value, key) => {
    if (absent(value) && fallback !== undefined) return fallback;
    if (type(value) !== "boolean") return fail(key, "true or false", value);
    return value as boolean;
  };
}

/** A value that may be absent: nil then, otherwise checked by `parser`. */
export function optional<T>(this: void, parser: Parser<T>): Parser<T | undefined> {
  return (value, key) => (absent(value) ? undefined : parser(value, key));
}

/** A list of items each checked by `item`; `fallback` (default empty) when absent. */
export function list<T>(this: void, item: Parser<T>, options: { default?: T[]; minItems?: number; maxItems?: number } = {}): Parser<T[]> {
  return (value, key) => {
    if (absent(value)) {
      if (options.default !== undefined) return options.default;
      if (options.minItems === undefined || options.minItems === 0) return [];
      return fail(key, `a list of at least ${options.minItems} items`, value);
    }
    if (type(value) !== "table" || !isList(value)) return fail(key, "a list", value);
    const items = value as unknown[];
    if (options.minItems !== undefined && items.length < options.minItems) {
      return fail(key, `a list of at least ${options.minItems} items`, `${items.length} items`);
    }
    if (options.maxItems !== undefined && items.length > options.maxItems) {
      return fail(key, `a list of at most ${options.maxItems} items`, `${items.length} items`);
    }
    const result: T[] = [];
    for (let i = 0; i < items.length; i++) result[i] = item(items[i], `${key}[${i + 1}]`);
    return result;
  };
}

/** An object with string keys, each value checked by `valueParser`; empty when absent. */
export function dictionary<T>(this: void, valueParser: Parser<T>): Parser<LuaTable<string, T>> {
  return (value, key) => {
    const result = new LuaTable<string, T>();
    if (absent(value)) return result;
    if (type(value) !== "table" || (isList(value) && next(value as AnyTable)[0] !== undefined)) return fail(key, "an object", value);
    for (const [name, entry] of pairs(value as AnyTable)) {
      if (type(name) !== "string") return fail(key, "an object with string keys", value);
      result.set(name as string, valueParser(entry, `${key}.${name as string}`));
    }
    return result;
  };
}

/** Parsers by key, describing an object. */
export type Shape = { [key: string]: Parser<unknown> };

/** The object a Shape produces. */
export type ShapeOf<S extends Shape> = { [K in keyof S]: Parsed<S[K]> };

/**
 * An object with the keys of `shape`; unknown keys are refused (they are usually typos).
 * An absent object is checked as an empty one, so every default applies.
 */
export function record<S extends Shape>(this: void, shape: S): Parser<ShapeOf<S>> {
  return (value, key) => {
    const prefix = key === "" ? "" : `${key}.`;
    if (absent(value)) value = new LuaTable();
    if (type(value) !== "table" || (isList(value) && next(value as AnyTable)[0] !== undefined)) {
      return fail(key === "" ? "(section)" : key, "an object", value);
    }
    const input = value as AnyTable;
    for (const [name] of pairs(input)) {
      if (type(name) !== "string" || (shape as unknown as AnyTable).get(name) === undefined) {
        return configError(`${prefix}${tostring(name)}`, `one of the known keys (${sortedKeys(shape).join(", ")})`, "an unknown key");
      }
    }
    const result = {} as ShapeOf<S>;
    for (const [name, parser] of pairs(shape as unknown as LuaTable<string, Parser<unknown>>)) {
      (result as LuaTable<string, unknown>).set(name, parser(input.get(name), `${prefix}${name}`));
    }
    return result;
  };
}

function sortedKeys(this: void, shape: Shape): string[] {
  const keys: string[] = [];
  for (const [name] of pairs(shape as unknown as LuaTable<string, unknown>)) keys.push(name);
  table.sort(keys);
  return keys;
}

/** A value checked by a function that returns the parsed value, or nil and nothing more. */
export function custom<T>(this: void, expected: string, check: (this: void, value: unknown) => T | undefined): Parser<T> {
  return (value, key) => {
    const parsed = check(value);
    if (parsed === undefined) return fail(key, expected, value);
    return parsed;
  };
}

/**
 * Runs `parser` on a whole section. Returns the config, or nil and one line naming the key,
 * what was expected and what was found.
 */
export function check<T>(this: void, parser: Parser<T>, section: unknown): LuaMultiReturn<[T, undefined] | [undefined, string]> {
  const [ok, result] = pcall(parser, section, "");
  if (ok) return $multi(result as T, undefined);
  const problem = result as unknown;
  if (type(problem) === "table" && (problem as ConfigError).isConfigError === true) return $multi(undefined, explain(problem as ConfigError));
  return $multi(undefined, tostring(problem));
}

/**
 * A secret string (a token, a password): checked like `str({ minLength })`, but an error
 * message shows only its type or length, never the value, since config errors are logged.
 */
export function secret(this: void, minLength: number): Parser<string> {
  const expected = `a secret string of at least ${minLength} bytes`;
  return (value, key) => {
    if (type(value) !== "string") return configError(key, expected, absent(value) ? "nothing" : `a ${type(value)}`);
    const text = value as string;
    if (text.length < minLength) return configError(key, expected, `a string of ${text.length} bytes (not shown)`);
    return text;
  };
}
