/**
 * LuaJIT's string buffer (`require("string.buffer")`, in the LuaJIT 2.1 nginx runs): a growable
 * byte buffer for building strings without intermediate strings, and a fast serializer.
 * Buffer methods compile to colon calls (`buf:put(s)`); most return the buffer for chaining.
 * Allowed in every phase.
 */
declare module "string.buffer" {
  /** A buffer. Its explicit `this` makes a detached call a type error. */
  export interface StringBuffer {
    /** Appends strings, numbers and other buffers' contents (without making a string of them); returns the buffer. */
    put(this: StringBuffer, ...items: (string | number | StringBuffer)[]): StringBuffer;
    /** Appends `string.format(format, ...args)`; returns the buffer. */
    putf(this: StringBuffer, format: string, ...args: unknown[]): StringBuffer;
    /** Appends `len` bytes read from a C pointer; returns the buffer. */
    putcdata(this: StringBuffer, ptr: import("ffi").FfiCData, len: number): StringBuffer;
    /** Makes the buffer a zero-copy view of a string (or of `len` bytes at a pointer); returns the buffer. */
    set(this: StringBuffer, data: string | import("ffi").FfiCData, len?: number): StringBuffer;
    /** Empties the buffer, keeping its memory for reuse; returns the buffer. */
    reset(this: StringBuffer): StringBuffer;
    /** Empties the buffer and frees its memory. */
    free(this: StringBuffer): void;
    /** Reserves at least `size` bytes to write into; returns a uint8_t pointer and the room available. */
    reserve(this: StringBuffer, size: number): LuaMultiReturn<[import("ffi").FfiCData, number]>;
    /** Appends `used` bytes written into the reserved room; returns the buffer. */
    commit(this: StringBuffer, used: number): StringBuffer;
    /** Drops `len` bytes from the front; returns the buffer. */
    skip(this: StringBuffer, len: number): StringBuffer;
    /** Takes bytes from the front: all of them, or one string per length given ("" once drained). */
    get(this: StringBuffer, ...lengths: number[]): LuaMultiReturn<string[]>;
    /** The contents as a string; the buffer is unchanged. */
    tostring(this: StringBuffer): string;
    /** A uint8_t pointer to the contents and their length, valid until the buffer changes. */
    ref(this: StringBuffer): LuaMultiReturn<[import("ffi").FfiCData, number]>;
    /** Serializes a Lua value (LuaJIT's format) and appends it; returns the buffer. */
    encode(this: StringBuffer, value: unknown): StringBuffer;
    /** Deserializes the next value from the front; nil when empty; raises an error on bad data. */
    decode(this: StringBuffer): unknown;
    /** Length of the contents in bytes (compiles to `#buf`). */
    length: LuaLengthMethod<number>;
  }
  /** A new empty buffer with room for `size` bytes (grows as needed). Phases: all. */
  function newBuffer(this: void, size?: number): StringBuffer;
  export { newBuffer as new };
  /** Serializes a Lua value (nil, booleans, numbers, strings, tables) to a string. Phases: all. */
  export function encode(this: void, value: unknown): string;
  /** Deserializes a string made by encode; raises an error on bad data. Phases: all. */
  export function decode(this: void, data: string): unknown;
}
