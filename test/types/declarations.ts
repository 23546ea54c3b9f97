// Reads resty-ts' OpenResty declarations (types/index.d.ts) with the TypeScript compiler API and
// lists every value they declare: each member of the `ngx` table (recursively), each export of
// each `declare module`, and each method of the colon-call object types, with the Lua type()
// that member must have at runtime. The conformance test checks that list inside nginx.
import ts from "typescript";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TYPES_DIR = resolve(ROOT, "types");
const INDEX = resolve(TYPES_DIR, "index.d.ts");

/** What Lua's type() must say. */
export type Kind = "function" | "number" | "string" | "boolean" | "table" | "userdata";

/** One declared value: `root` is "ngx", a module name, or "@Interface" for an object type's methods. */
export interface Entry {
  root: string;
  path: string[];
  kind: Kind;
  /** The exact value, for members declared with a literal type (HTTP_OK: 200). */
  value?: number | string;
}

export interface Declarations {
  entries: Entry[];
  /** Interfaces whose methods take an explicit `this` of their own type (colon-call objects). */
  objectTypes: string[];
  /** Diagnostics of the declaration files themselves. */
  diagnostics: string[];
  /** Every file of the program (ours, lua-types, language-extensions, TypeScript's lib). */
  files: string[];
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ESNext,
  lib: ["lib.esnext.d.ts"],
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  types: [],
};

/** Parsed files, shared by the programs this process makes (lib.esnext alone takes a second to parse). */
const parsed = new Map<string, ts.SourceFile | undefined>();

/**
 * Reads the declarations. `extra` adds a virtual declaration file (its text), which the
 * conformance test uses to prove that a member that does not exist in nginx is caught.
 */
export function readDeclarations(extra?: string): Declarations {
  const extraFile = resolve(TYPES_DIR, "__extra__.d.ts");
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, version, onError, create) => {
    if (name === extraFile && extra !== undefined) return ts.createSourceFile(name, extra, ts.ScriptTarget.ESNext, true);
    if (!parsed.has(name)) parsed.set(name, getSourceFile.call(host, name, version, onError, create));
    return parsed.get(name);
  };
  const roots = extra === undefined ? [INDEX] : [INDEX, extraFile];
  const program = ts.createProgram(roots, OPTIONS, host);
  const checker = program.getTypeChecker();
  // Only our files are checked: lua-types and lib.esnext are not ours to fix (and slow to check).
  const diagnostics = program.getSourceFiles()
    .filter((file) => file.fileName.startsWith(TYPES_DIR))
    .flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])
    .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);

  const ours = (declaration: ts.Node) => declaration.getSourceFile().fileName.startsWith(TYPES_DIR);
  const userdata = globalType(program, checker, "LuaUserdata");
  const entries: Entry[] = [];

  const kindOf = (type: ts.Type, where: string): Kind => {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) throw new Error(`${where}: untyped (any/unknown)`);
    if (type.getCallSignatures().length > 0) return "function";
    if (checker.isTypeAssignableTo(type, userdata)) return "userdata";
    if (checker.isTypeAssignableTo(type, checker.getNumberType())) return "number";
    if (checker.isTypeAssignableTo(type, checker.getStringType())) return "string";
    if (checker.isTypeAssignableTo(type, checker.getBooleanType())) return "boolean";
    if (type.isUnion()) throw new Error(`${where}: a union of kinds (${checker.typeToString(type)})`);
    return "table";
  };

  const add = (root: string, path: string[], type: ts.Type) => {
    const where = `${root} ${path.join(".")}`;
    // TSTL's operator pseudo-methods (LuaLengthMethod: `buf.length()` is `#buf`) are no members.
    if (/^Lua\w+Method$/.test(type.aliasSymbol?.name ?? "")) return;
    const valueType = checker.getNonNullableType(type);
    const kind = kindOf(valueType, where);
    const entry: Entry = { root, path, kind };
    if (valueType.isNumberLiteral() || valueType.isStringLiteral()) entry.value = valueType.value as number | string;
    entries.push(entry);
    // Walk into API tables declared by us (ngx.req, ngx.config, ...), not into LuaTable & co.
    if (kind === "table" && (valueType.symbol?.declarations ?? []).some(ours)) walk(root, path, valueType);
  };

  const walk = (root: string, path: string[], type: ts.Type) => {
    for (const property of checker.getPropertiesOfType(type)) {
      if (!(property.declarations ?? []).some(ours)) continue;
      add(root, [...path, property.name], checker.getTypeOfSymbol(property));
    }
  };

  // The `ngx` global.
  const ngx = checker.getSymbolsInScope(program.getSourceFile(resolve(TYPES_DIR, "ngx.d.ts"))!, ts.SymbolFlags.Variable)
    .find((symbol) => symbol.name === "ngx");
  if (ngx === undefined) throw new Error("no `ngx` declaration");
  walk("ngx", [], checker.getTypeOfSymbol(ngx));

  // Every `declare module "name"` in types/.
  for (const module of checker.getAmbientModules()) {
    if (!(module.declarations ?? []).some(ours)) continue;
    const name = module.name.replace(/^"|"$/g, "");
    const exportEquals = module.exports?.get(ts.InternalSymbolName.ExportEquals);
    if (exportEquals !== undefined) {
      const target = resolveAlias(checker, exportEquals);
      add(name, [], checker.getTypeOfSymbol(target));
      continue;
    }
    for (const exported of checker.getExportsOfModule(module)) {
      const target = resolveAlias(checker, exported);
      if (!(target.flags & ts.SymbolFlags.Value)) continue;
      add(name, [exported.name], checker.getTypeOfSymbol(target));
    }
  }

  // Colon-call object types: interfaces in types/ whose methods declare `this: <that interface>`.
  const objectTypes = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(TYPES_DIR)) continue;
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node) && node.members.some((member) => selfTyped(member, node.name.text))) {
        const name = node.name.text;
        if (!objectTypes.has(name)) {
          objectTypes.add(name);
          const type = checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(node.name)!);
          for (const property of checker.getPropertiesOfType(type)) {
            add(`@${name}`, [property.name], checker.getTypeOfSymbol(property));
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const files = program.getSourceFiles().map((file) => file.fileName);
  return { entries, objectTypes: [...objectTypes].sort(), diagnostics, files };
}

/** Whether a member is a method whose first parameter is `this: Name<...>`. */
function selfTyped(member: ts.TypeElement, name: string) {
  if (!ts.isMethodSignature(member)) return false;
  const first = member.parameters[0];
  return first !== undefined && ts.isIdentifier(first.name) && first.name.text === "this" && first.type !== undefined
    && ts.isTypeReferenceNode(first.type) && ts.isIdentifier(first.type.typeName) && first.type.typeName.text === name;
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** A global type alias or interface by name (from lua-types / language-extensions). */
function globalType(program: ts.Program, checker: ts.TypeChecker, name: string) {
  for (const file of program.getSourceFiles()) {
    for (const statement of file.statements) {
      if ((ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement)) && statement.name.text === name) {
        return checker.getTypeAtLocation(statement.name);
      }
    }
  }
  throw new Error(`no global type ${name}`);
}
