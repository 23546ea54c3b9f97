// `ngx.re`: PCRE regular expressions (lua-resty-core's FFI implementation in resty/core/regex.lua).
// Options are letters: "j" (PCRE JIT), "o" (compile once and cache: use it for constant
// patterns), "i" (caseless), "x", "s", "m", "u", "U", "a" (anchored), "d" (DFA), "D", "J".
// All functions are allowed in every phase.

/**
 * Captures of one match: `[0]` the whole match, `[1]`..`[n]` the groups, plus named groups by
 * name. An unmatched group is `false`. Indexes are Lua's (`m[1]` compiles to `m[1]`).
 */
interface NgxReCaptures {
  readonly [group: number]: string | false | undefined;
  readonly [name: string]: string | false | undefined;
}

/** Search state for match/find: `pos` is where to start (1-based) and, after a match, where it ended plus one. */
interface NgxReCtx {
  pos?: number;
}

/** A gsub/sub replacement callback: gets the captures, returns the replacement text. */
type NgxReReplaceFn = (this: void, captures: NgxReCaptures) => string;

/**
 * The iterator gmatch returns (a callable table): each call gives the next captures, nil when
 * there are no more, or nil and an error.
 */
type NgxReIterator = (this: void) => LuaMultiReturn<[NgxReCaptures, undefined] | [undefined, string | undefined]>;

/** @noSelf */
interface NgxRe {
  /** First match as captures; nil when no match; nil and err on a bad pattern. `res` is reused as the result table. Phases: all. */
  match(subject: string, regex: string, options?: string, ctx?: NgxReCtx, res?: NgxReCaptures): LuaMultiReturn<[NgxReCaptures, undefined] | [undefined, string | undefined]>;
  /** Start and end index (1-based, inclusive) of the match or of capture `nth`; nil, nil when none; nil, nil, err on failure. Phases: all. */
  find(subject: string, regex: string, options?: string, ctx?: NgxReCtx, nth?: number): LuaMultiReturn<[number, number, undefined] | [undefined, undefined, string | undefined]>;
  /** An iterator over all matches; nil and err on a bad pattern. Phases: all. */
  gmatch(subject: string, regex: string, options?: string): LuaMultiReturn<[NgxReIterator, undefined] | [undefined, string]>;
  /** Replaces the first match ("$1", "${name}" in a string template, or a callback); the new string and 0 or 1, or nil, nil, err. Phases: all. */
  sub(subject: string, regex: string, replace: string | NgxReReplaceFn, options?: string): LuaMultiReturn<[string, number, undefined] | [undefined, undefined, string]>;
  /** Replaces every match; the new string and the number of replacements, or nil, nil, err. Phases: all. */
  gsub(subject: string, regex: string, replace: string | NgxReReplaceFn, options?: string): LuaMultiReturn<[string, number, undefined] | [undefined, undefined, string]>;
}

/** @noSelf */
interface Ngx {
  /** Regular expressions; see `NgxRe`. */
  readonly re: NgxRe;
}
