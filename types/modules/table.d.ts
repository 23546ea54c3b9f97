// LuaJIT's table extensions. Each module IS a function, which an ES import cannot express, so
// load it with a typed require: `const newTable: typeof import("table.new") = require("table.new");`
// (compiles to `local newTable = require("table.new")`).

declare module "table.new" {
  /** A new empty table with room for `narray` array items and `nhash` hash items, typed as T. Phases: all. */
  function newTable<T extends object = LuaTable>(this: void, narray: number, nhash: number): T;
  export = newTable;
}

declare module "table.clear" {
  /** Empties a table in place, keeping its allocated size (cheaper than a new table). Phases: all. */
  function clearTable(this: void, table: object): void;
  export = clearTable;
}
