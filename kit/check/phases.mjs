// Which phases an OpenResty API member may be used in, read from the doc comments of resty-ts'
// declarations (types/*.d.ts): "Phases: rewrite, access, content.", "Phases: all but init.",
// "Phases: as for tcp.", "Allowed in set, rewrite, ...", "Writable in A; readable also in B".
// A member without such a sentence inherits it from its interface or module, and a property
// from the declaration of its type (ngx.var from NgxVar).
import ts from "typescript";

/** Every ngx.get_phase() name. */
export const ALL_PHASES = [
  "init", "init_worker", "ssl_cert", "ssl_session_fetch", "ssl_session_store", "ssl_client_hello",
  "set", "rewrite", "server_rewrite", "balancer", "access", "content", "header_filter",
  "body_filter", "log", "timer", "exit_worker",
];

/** Phases that run for every request (or TLS handshake): where slow Lua costs throughput. */
export const PER_REQUEST_PHASES = new Set([
  "ssl_cert", "ssl_session_fetch", "ssl_client_hello", "set", "rewrite", "server_rewrite",
  "balancer", "access", "content", "header_filter", "body_filter", "log",
]);

/** "all request phases". */
const REQUEST_PHASES = ["set", "rewrite", "server_rewrite", "access", "content", "header_filter", "body_filter", "log"];

/**
 * @typedef {{ read: Set<string>, write: Set<string> }} PhaseRule
 * Phases where a member may be read or called, and where it may be assigned.
 */

/** The text of a node's JSDoc comments (without tags). */
export function docText(node) {
  const parts = [];
  // A `const` keeps its comment on the statement: `/** ... */ export const version: string;`.
  const owner = ts.isVariableDeclaration(node) && node.parent && ts.isVariableStatement(node.parent.parent) ? node.parent.parent : node;
  for (const doc of owner.jsDoc ?? []) {
    const comment = ts.getTextOfJSDocComment(doc.comment);
    if (comment) parts.push(comment);
  }
  return parts.join(" ").replace(/\s+/g, " ");
}

/** Phase names listed in a fragment such as "rewrite, access, content (status only) and later". */
function listedPhases(fragment) {
  const text = fragment.replace(/\([^)]*\)/g, " ");
  const all = /^\s*all\b/.test(text);
  if (/^\s*all request phases/.test(text)) return new Set(REQUEST_PHASES);
  const named = ALL_PHASES.filter((phase) => new RegExp(`(^|[^a-z_])${phase}([^a-z_]|$)`).test(text));
  if (all) {
    const but = /all but (.*)/.exec(text);
    const excluded = but ? ALL_PHASES.filter((phase) => new RegExp(`(^|[^a-z_])${phase}([^a-z_]|$)`).test(but[1])) : [];
    return new Set(ALL_PHASES.filter((phase) => !excluded.includes(phase)));
  }
  return new Set(named);
}

/** The sentence after `label` in `text` (up to a full stop followed by a space or the end). */
function sentenceAfter(text, label) {
  const index = text.search(label);
  if (index < 0) return undefined;
  const rest = text.slice(index).replace(label, "");
  // A full stop inside a parenthesis ("(ngx.ERROR / ngx.OK)") does not end the sentence.
  const withoutParens = rest.replace(/\([^)]*\)/g, (m) => " ".repeat(m.length));
  const end = withoutParens.search(/\.(\s|$)/);
  return end < 0 ? rest : rest.slice(0, end);
}

/**
 * The phase rule stated in a doc text, or undefined when it states none.
 * `sibling(name)` resolves "as for <name>".
 * @param {string} text
 * @param {(name: string) => PhaseRule | undefined} sibling
 * @returns {PhaseRule | undefined}
 */
export function parseRule(text, sibling = () => undefined) {
  const phases = sentenceAfter(text, /Phases?:/);
  if (phases !== undefined) {
    const asFor = /^\s*as for `?([A-Za-z_.]+)`?/.exec(phases);
    if (asFor) return sibling(asFor[1].split(".").pop() ?? "");
    const set = listedPhases(phases);
    return { read: set, write: set };
  }
  const writable = sentenceAfter(text, /Writable in/);
  if (writable !== undefined) {
    const [write, readAlso = ""] = writable.split(/;\s*readable also in/);
    const writeSet = listedPhases(write);
    return { read: new Set([...writeSet, ...listedPhases(readAlso)]), write: writeSet };
  }
  if (/Allowed in every phase/.test(text)) {
    const all = new Set(ALL_PHASES);
    return { read: all, write: all };
  }
  const allowed = sentenceAfter(text, /Allowed in/);
  if (allowed !== undefined) {
    const set = listedPhases(allowed);
    return { read: set, write: set };
  }
  return undefined;
}

/**
 * Finds the phase rule of API declarations, with inheritance and a cache.
 * @param {ts.TypeChecker} checker
 */
export function createRuleFinder(checker) {
  /** @type {Map<ts.Node, PhaseRule | null>} */
  const cache = new Map();

  /** Rule stated on a container (interface, type alias, module) declaration. */
  function containerRule(node) {
    for (let parent = node.parent; parent; parent = parent.parent) {
      if (ts.isInterfaceDeclaration(parent) || ts.isTypeAliasDeclaration(parent) || ts.isModuleDeclaration(parent)) {
        const rule = parseRule(docText(parent), (name) => memberRule(parent, name));
        if (rule) return rule;
      }
      if (ts.isSourceFile(parent)) break;
    }
    return undefined;
  }

  /** Rule of the member `name` of a container (for "as for tcp"). */
  function memberRule(container, name) {
    let found;
    container.forEachChild(function visit(child) {
      if (found) return;
      if ((ts.isPropertySignature(child) || ts.isMethodSignature(child) || ts.isFunctionDeclaration(child)) && child.name?.getText() === name) {
        found = ruleOf(child);
      } else if (ts.isModuleBlock(child)) child.forEachChild(visit);
    });
    return found;
  }

  /** Rule stated on the declaration of a property's type (`var: NgxVar`). */
  function typeRule(node) {
    if (!ts.isPropertySignature(node) || !node.type || !ts.isTypeReferenceNode(node.type)) return undefined;
    const symbol = checker.getSymbolAtLocation(node.type.typeName);
    for (const declaration of symbol?.declarations ?? []) {
      const rule = parseRule(docText(declaration));
      if (rule) return rule;
    }
    return undefined;
  }

  /**
   * The phase rule of an API declaration (a member or module function), or undefined when it
   * may be used anywhere.
   * @param {ts.Node} declaration
   * @returns {PhaseRule | undefined}
   */
  function ruleOf(declaration) {
    if (cache.has(declaration)) return cache.get(declaration) ?? undefined;
    cache.set(declaration, null); // breaks "as for" cycles
    const own = parseRule(docText(declaration), (name) => {
      const container = declaration.parent && ts.isModuleBlock(declaration.parent) ? declaration.parent.parent : declaration.parent;
      return container ? memberRule(container, name) : undefined;
    });
    const rule = own ?? typeRule(declaration) ?? containerRule(declaration);
    cache.set(declaration, rule ?? null);
    return rule;
  }

  return ruleOf;
}
