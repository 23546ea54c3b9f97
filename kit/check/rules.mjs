// Constructs that TypeScriptToLua compiles to slow Lua, reported on per-request paths.
// Costs measured on LuaJIT with TSTL output (REFERENCE 3): try/catch ~123 ns vs 2.6 ns,
// new Map + 2 set + get ~1 us vs LuaMap 56 ns, map().filter() 460 ns vs a loop 39 ns,
// object spread 350 ns vs a literal 4 ns, split 173 ns vs find+sub 17 ns, new Error ~3 us.
import ts from "typescript";

/** Array methods TSTL compiles to __TS__Array* helpers taking a callback or allocating. */
const ARRAY_HELPERS = new Set(["map", "filter", "reduce", "reduceRight", "forEach", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "includes", "indexOf", "lastIndexOf", "flat", "flatMap", "slice", "splice", "concat", "join", "entries", "keys", "values", "sort", "reverse", "fill", "copyWithin", "toSorted", "toReversed", "toSpliced", "with"]);

/** Object statics that allocate a new table per call. */
const OBJECT_HELPERS = new Set(["keys", "values", "entries", "assign", "fromEntries"]);

const LOOP = "write a numeric for loop (for (let i = 0; i < list.length; i++)) over the list";

/**
 * The slow construct a node is, if any: { message, fix }.
 * @param {ts.Node} node
 * @param {ts.TypeChecker} checker
 * @returns {{ message: string, fix: string } | undefined}
 */
export function slowConstruct(node, checker) {
  if (ts.isTryStatement(node)) {
    return {
      message: "try/catch compiles to pcall with a new closure on every call (~50x slower than a plain call)",
      fix: "return a value or nil and an error string (LuaMultiReturn) instead of throwing; pcall a module-level function where you must catch",
    };
  }
  if (ts.isAwaitExpression(node)) {
    return {
      message: "await compiles to coroutine and Promise helpers",
      fix: "call OpenResty's APIs directly: they already yield without blocking nginx",
    };
  }
  if (ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) {
    if (ts.isCallExpression(node.parent)) return undefined; // f(...args) compiles to unpack()
    return {
      message: `${ts.isSpreadAssignment(node) ? "object" : "array"} spread compiles to a __TS__ helper that copies the table (~100x a literal)`,
      fix: "write the fields or elements out, or fill a table built once at init",
    };
  }
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
    const name = node.expression.text;
    if (name === "Map" || name === "Set" || name === "WeakMap" || name === "WeakSet") {
      return {
        message: `new ${name} compiles to TSTL's ${name} class (~20x slower than a Lua table)`,
        fix: `use ${name.endsWith("Map") ? "LuaMap or a LuaTable" : "LuaSet or a LuaTable<string, true>"}, built once at init when it can be`,
      };
    }
    if (/Error$/.test(name) && isGlobal(node.expression, checker)) {
      return {
        message: `new ${name} builds an Error object with a stack trace (~3 us and 1.5 KB each)`,
        fix: "return nil and a message string (LuaMultiReturn<[T, undefined] | [undefined, string]>)",
      };
    }
    if (name === "Promise") {
      return { message: "new Promise compiles to TSTL's Promise class", fix: "call OpenResty's APIs directly: they already yield" };
    }
  }
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isCallExpression(node.initializer)
    && checker.getTypeAtLocation(node.initializer).getProperty("__tstlMultiReturn") !== undefined) {
    return {
      message: `storing a LuaMultiReturn in "${node.name.text}" packs the returned values into a new table`,
      fix: `destructure at the call: const [value, err] = ${node.initializer.expression.getText()}(...)`,
    };
  }
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    const method = node.expression.name.text;
    const receiver = node.expression.expression;
    if (method === "split" && isString(receiver, checker)) {
      return {
        message: "split compiles to __TS__StringSplit, which builds a new array on every call (~10x find+sub)",
        fix: "walk the string with string.find(s, sep, init, true) and string.sub",
      };
    }
    if (ARRAY_HELPERS.has(method) && isArray(receiver, checker)) {
      return {
        message: `.${method}() compiles to a __TS__Array helper (a function call per element, often a new array)`,
        fix: LOOP,
      };
    }
    if (OBJECT_HELPERS.has(method) && ts.isIdentifier(receiver) && receiver.text === "Object" && isGlobal(receiver, checker)) {
      return {
        message: `Object.${method}() builds a new table on every call`,
        fix: "iterate with pairs() (for (const [k, v] of pairs(t))) or precompute the list at init",
      };
    }
  }
  return undefined;
}

/** Whether an identifier names a global from the standard library (not a local of that name). */
function isGlobal(identifier, checker) {
  const symbol = checker.getSymbolAtLocation(identifier);
  return (symbol?.declarations ?? []).every((d) => d.getSourceFile().isDeclarationFile);
}

function isString(expression, checker) {
  const type = checker.getTypeAtLocation(expression);
  return (type.flags & ts.TypeFlags.StringLike) !== 0 || (type.isUnion() && type.types.every((t) => (t.flags & ts.TypeFlags.StringLike) !== 0));
}

function isArray(expression, checker) {
  const type = checker.getNonNullableType(checker.getTypeAtLocation(expression));
  if (checker.isArrayType(type) || checker.isTupleType(type)) return true;
  return type.isUnion() && type.types.length > 0 && type.types.every((t) => checker.isArrayType(t) || checker.isTupleType(t));
}
