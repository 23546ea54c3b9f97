// `resty-ts check`: follows the call graph from each phase handler of each plugin (and from
// the code that runs when the plugin loads, in init) with the TypeScript type checker, and
// reports
//   - OpenResty APIs used in a phase that forbids them (phases read from the doc comments of
//     resty-ts' declarations, see phases.mjs), e.g. a cosocket reached from log;
//   - constructs that compile to slow Lua on per-request paths (rules.mjs).
import ts from "typescript";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { PACKAGE_ROOT } from "../paths.mjs";
import { createRuleFinder, PER_REQUEST_PHASES } from "./phases.mjs";
import { slowConstruct } from "./rules.mjs";

/**
 * @typedef {object} Finding
 * @property {string} file path relative to the project
 * @property {number} line 1-based
 * @property {number} column 1-based
 * @property {"phase" | "slow"} kind
 * @property {string} message
 * @property {string} fix a suggested fix
 * @property {string} phase the phase the code runs in
 * @property {string[]} path how it is reached: handler, then each call on the way
 */

/** Handler property names of a Plugin and the phase each runs in. */
const HANDLER_PHASES = ["init_worker", "ssl_cert", "rewrite", "access", "header_filter", "body_filter", "log"];

/** Why each phase forbids what it forbids, and what to do instead. */
function phaseFix(phase, apiName) {
  if (phase === "init") return `move it into init_worker or a timer started there (ngx.timer.at(0, fn)); the plugin's module body runs in init, where ${apiName} is not available`;
  if (phase === "init_worker") return `start a timer from init_worker (ngx.timer.at(0, fn)) and call ${apiName} in it`;
  if (["log", "header_filter", "body_filter"].includes(phase)) return `do it in rewrite or access, or hand the data to a timer (ngx.timer.at(0, fn, data)) where cosockets and ngx.sleep work`;
  return `call it from a phase its documentation lists`;
}

/** The printable name of an API member: `ngx.socket.tcp`. */
function apiName(node) {
  return node.getText().replace(/\s+/g, "");
}

/**
 * Checks the plugins of a project. Returns the findings, sorted by file and line.
 * @param {{ projectDir: string, plugins?: string[], config?: string }} options
 * @returns {Finding[]}
 */
export function checkProject({ projectDir, plugins = [], config = "tstl.json" }) {
  const configPath = join(projectDir, config);
  if (!existsSync(configPath)) throw new Error(`check: no ${config} in ${projectDir} (run \`npx resty-ts new <name>\` first)`);
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const ruleOf = createRuleFinder(checker);
  const typesDirs = declarationDirs(projectDir);
  const pluginsDir = join(projectDir, "plugins");
  const names = plugins.length > 0 ? plugins : !existsSync(pluginsDir) ? [] : readdirSync(pluginsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== "lib" && existsSync(join(projectDir, "plugins", entry.name, "main.ts")))
    .map((entry) => entry.name);

  /** @type {Map<string, Finding>} */
  const findings = new Map();
  const where = (node) => {
    const source = node.getSourceFile();
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart());
    return { file: relative(projectDir, source.fileName), line: line + 1, column: character + 1 };
  };
  const report = (node, kind, message, fix, phase, path) => {
    const at = where(node);
    const key = `${at.file}:${at.line}:${at.column}:${kind}:${message}`;
    if (!findings.has(key)) findings.set(key, { ...at, kind, message, fix, phase, path });
  };

  const isApi = (declaration) => {
    const file = declaration.getSourceFile().fileName;
    try {
      const real = realpathSync(file);
      return typesDirs.some((dir) => real.startsWith(dir));
    } catch { return false; }
  };

  /** The declarations a name or property access refers to (through imports and `const x = api`). */
  function declarationsOf(node) {
    let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(node) ? node.name : node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol?.declarations ?? [];
  }

  /** Follows `const sleep = ngx.sleep` to the API member; returns the node naming it. */
  function throughAliases(node, depth = 0) {
    if (depth > 5 || !(ts.isIdentifier(node) || ts.isPropertyAccessExpression(node))) return { node, declarations: [] };
    const declarations = declarationsOf(node);
    for (const declaration of declarations) {
      if (ts.isVariableDeclaration(declaration) && declaration.initializer
        && (ts.isIdentifier(declaration.initializer) || ts.isPropertyAccessExpression(declaration.initializer))
        && !isApi(declaration)) {
        const inner = throughAliases(declaration.initializer, depth + 1);
        if (inner.declarations.some(isApi)) return inner;
      }
    }
    return { node, declarations };
  }

  /** The function body a declaration stands for, if it is one of the project's functions. */
  function functionOf(declaration) {
    if (declaration.getSourceFile().isDeclarationFile) return undefined;
    if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration) || ts.isFunctionExpression(declaration) || ts.isArrowFunction(declaration)) {
      return declaration.body ? declaration : undefined;
    }
    if ((ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer) {
      const value = skipParens(declaration.initializer);
      if (ts.isFunctionExpression(value) || ts.isArrowFunction(value)) return value;
    }
    return undefined;
  }

  const skipParens = (node) => (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) ? skipParens(node.expression) : node);

  /** Functions an expression refers to (a name, a property, an inline function). */
  function functionsIn(expression) {
    const value = skipParens(expression);
    if (ts.isFunctionExpression(value) || ts.isArrowFunction(value)) return [value];
    if (!ts.isIdentifier(value) && !ts.isPropertyAccessExpression(value)) return [];
    let declarations = declarationsOf(value);
    if (ts.isShorthandPropertyAssignment(value.parent)) {
      declarations = checker.getShorthandAssignmentValueSymbol(value.parent)?.declarations ?? declarations;
    }
    return declarations.map(functionOf).filter(Boolean);
  }

  const visited = new Set();

  /**
   * Walks a function body (or a file's top level) in `phase`.
   * @param {ts.Node} root a function-like node or a source file
   * @param {string} phase
   * @param {string[]} path
   */
  function walk(root, phase, path) {
    const key = `${phase}\0${root.pos}\0${root.getSourceFile().fileName}`;
    if (visited.has(key)) return;
    visited.add(key);
    const perRequest = PER_REQUEST_PHASES.has(phase);
    const topLevel = ts.isSourceFile(root);

    const visit = (node) => {
      if (node !== root && ts.isFunctionLike(node)) {
        // A function inside a function body is a new closure each time the body runs.
        if (perRequest && !topLevel && (node.body !== undefined)) {
          report(node, "slow", "a function is created on every call (a closure: allocates, and LuaJIT cannot compile it)", "define it once at module level and pass what it needs as arguments", phase, path);
        }
        return; // its body runs when it is called: see the call handling below
      }
      if (perRequest) {
        const slow = slowConstruct(node, checker);
        if (slow) report(node, "slow", slow.message, slow.fix, phase, path);
      }
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) onCall(node);
      else if (ts.isPropertyAccessExpression(node) && !(ts.isCallExpression(node.parent) && node.parent.expression === node)) onProperty(node);
      else if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression)) checkAliasIndex(node.expression);
      ts.forEachChild(node, visit);
    };

    const onCall = (call) => {
      const callee = call.expression;
      const { node: apiNode, declarations } = throughAliases(callee);
      let argumentPhase = phase;
      for (const declaration of declarations) {
        if (isApi(declaration)) {
          const rule = ruleOf(declaration);
          const name = apiName(apiNode);
          if (rule && !rule.read.has(phase)) {
            report(call, "phase", `${name} is not allowed in ${phase} (allowed in: ${[...rule.read].join(", ")})`, phaseFix(phase, name), phase, path);
          }
          // ngx.timer.at(delay, callback): the callback runs later, in a timer.
          const container = declaration.parent;
          if (container && ts.isInterfaceDeclaration(container) && container.name.text === "NgxTimer") argumentPhase = "timer";
        } else {
          const target = functionOf(declaration);
          if (target) walk(target, phase, [...path, `${nameOf(target)} (${describeAt(call)})`]);
        }
      }
      // Functions handed to a call are assumed to be called by it (pcall, callbacks).
      for (const argument of call.arguments ?? []) {
        for (const target of functionsIn(argument)) {
          walk(target, argumentPhase, [...path, `${nameOf(target)} (${argumentPhase === "timer" ? "timer callback" : "callback"}, ${describeAt(argument)})`]);
        }
      }
    };

    /**
     * API properties: `ngx.ctx`, `ngx.status` are looked up per request, so reading them is the
     * restricted act; `ngx.var`, `ngx.header` are tables whose reference may be kept at module
     * level (`const vars = ngx.var`), so indexing them is (also through such a const).
     */
    const onProperty = (access) => {
      const indexed = isIndexed(access);
      for (const declaration of declarationsOf(access)) {
        if (!isApi(declaration) || !ts.isPropertySignature(declaration)) continue;
        if (isTable(declaration) && !indexed) continue;
        checkProperty(access, declaration, apiName(access));
      }
      // `vars.remote_addr` / `header[name] = v` where `const vars = ngx.var`.
      const base = access.expression;
      if (ts.isIdentifier(base)) checkAliasIndex(base);
    };

    const checkAliasIndex = (identifier) => {
      const { node: apiNode, declarations } = throughAliases(identifier);
      if (apiNode === identifier) return;
      for (const declaration of declarations) {
        if (isApi(declaration) && ts.isPropertySignature(declaration) && isTable(declaration)) {
          checkProperty(identifier, declaration, `${identifier.text} (${apiName(apiNode)})`);
        }
      }
    };

    const checkProperty = (node, declaration, name) => {
      const rule = ruleOf(declaration);
      if (!rule) return;
      const writing = isWrite(node);
      const allowed = writing ? rule.write : rule.read;
      if (!allowed.has(phase)) {
        report(node, "phase", `${writing ? "writing " : ""}${name} is not allowed in ${phase} (allowed in: ${[...allowed].join(", ")})`, phaseFix(phase, name), phase, path);
      }
    };

    if (topLevel) {
      // Module body (runs once in init): statements, but not the functions it defines.
      for (const statement of root.statements) visit(statement);
    } else if (root.body) {
      if (perRequest && root.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
        report(root, "slow", "an async function compiles to coroutine and Promise helpers", "call OpenResty's APIs directly: they already yield without blocking nginx", phase, path);
      }
      visit(root.body);
    }
  }

  const nameOf = (fn) => {
    if (fn.name) return fn.name.getText();
    const parent = fn.parent;
    if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) return parent.name.getText();
    return "function";
  };
  const describeAt = (node) => { const at = where(node); return `${at.file}:${at.line}`; };

  for (const name of names) {
    const mainPath = join(projectDir, "plugins", name, "main.ts");
    const main = program.getSourceFile(mainPath) ?? program.getSourceFiles().find((f) => f.fileName === mainPath.split(sep).join("/"));
    if (!main) continue;
    // Module bodies of main.ts and every project file it imports run when nginx loads it (init).
    for (const file of importClosure(main, program)) walk(file, "init", [`loading plugins.${name}.main (init)`]);
    // The Plugin table: { rewrite, log: () => ..., ... }.
    main.forEachChild(function find(node) {
      if (ts.isObjectLiteralExpression(node) && isPluginTable(node, checker)) {
        for (const property of node.properties) {
          const phase = property.name?.getText();
          if (!HANDLER_PHASES.includes(phase)) continue;
          const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : property;
          const targets = ts.isMethodDeclaration(property) ? [property] : functionsIn(value);
          for (const target of targets) walk(target, phase, [`${name}.${phase} handler (${describeAt(property)})`]);
        }
      }
      node.forEachChild(find);
    });
  }
  return [...findings.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/** resty-ts' declaration folders: this package's, and the one the project installed. */
function declarationDirs(projectDir) {
  const dirs = [join(PACKAGE_ROOT, "types")];
  try {
    dirs.push(join(createRequire(join(projectDir, "package.json")).resolve("resty-ts/package.json"), "..", "types"));
  } catch { /* not installed there */ }
  return dirs.filter(existsSync).map((dir) => realpathSync(dir) + sep);
}

/** Whether an object literal is a Plugin table (by its contextual or declared type). */
function isPluginTable(node, checker) {
  const type = checker.getContextualType(node);
  const name = type?.aliasSymbol?.name ?? type?.getSymbol()?.name;
  return name === "Plugin";
}

/** Whether a node is indexed: `node.x` or `node[x]`. */
function isIndexed(node) {
  const parent = node.parent;
  return parent !== undefined && (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === node;
}

/** Whether an API property is a table indexed by name (a type with an index signature: ngx.var, ngx.header). */
function isTable(declaration) {
  const type = declaration.type;
  if (!type) return false;
  if (ts.isTypeLiteralNode(type)) return type.members.some(ts.isIndexSignatureDeclaration);
  if (!ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName.getText();
  const file = declaration.getSourceFile();
  let found = false;
  file.forEachChild((node) => {
    if (ts.isTypeAliasDeclaration(node) && node.name.text === name && ts.isTypeLiteralNode(node.type)) {
      found = node.type.members.some(ts.isIndexSignatureDeclaration);
    }
  });
  return found;
}

/** Whether a property access is the target of an assignment (`ngx.header["X"] = v`, `ngx.status = 404`). */
function isWrite(access) {
  let node = access;
  if (ts.isElementAccessExpression(node.parent) && node.parent.expression === node) node = node.parent;
  else if (ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node) node = node.parent;
  const parent = node.parent;
  return parent !== undefined && ts.isBinaryExpression(parent) && parent.left === node
    && parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
}

/** A file and every project (non-declaration) file it imports, transitively. */
function importClosure(file, program) {
  const seen = new Map([[file.fileName, file]]);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.pop();
    for (const statement of current.statements) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
      const specifier = statement.moduleSpecifier;
      if (!specifier || !ts.isStringLiteral(specifier)) continue;
      const resolved = ts.resolveModuleName(specifier.text, current.fileName, program.getCompilerOptions(), ts.sys).resolvedModule;
      const target = resolved && program.getSourceFile(resolved.resolvedFileName);
      if (target && !target.isDeclarationFile && !seen.has(target.fileName)) {
        seen.set(target.fileName, target);
        queue.push(target);
      }
    }
  }
  return [...seen.values()];
}

/** One finding as `file:line:column: message`, how it is reached, and the fix. */
export function formatFinding(finding) {
  const label = finding.kind === "phase" ? "error" : "slow";
  return `${finding.file}:${finding.line}:${finding.column}: ${label}: ${finding.message}\n`
    + `    reached from: ${finding.path.join(" -> ")}\n`
    + `    fix: ${finding.fix}`;
}
