// Which protection a request gets: the first rule whose host and path prefix match decides;
// no match means pass. Pure (no ngx), testable alone.

/** What a matched rule does. */
export const enum Action {
  /** No protection: the request goes on (identity headers are still removed). */
  Pass = 0,
  /** Browser login: a session cookie, or a redirect to the OpenID Provider. */
  Login = 1,
  /** API protection: a valid `Authorization: Bearer <JWT>`, or 401. */
  Bearer = 2,
  /** Always 403. */
  Deny = 3,
}

/** One compiled rule. */
export interface Rule {
  /** Lower-case host to equal, or the suffix (".example.com") when `wildcard`. */
  host?: string;
  /** The host was written `*.example.com`: any subdomain matches (not the bare domain). */
  wildcard: boolean;
  /** Path prefix, matched at a segment boundary unless it ends with "/". */
  prefix?: string;
  prefixLength: number;
  /** Whether the prefix ends with "/" (then any continuation matches). */
  prefixOpen: boolean;
  action: Action;
}

/** A rule as configured. */
export interface RuleSpec {
  host?: string;
  path_prefix?: string;
  action: string;
}

const ACTIONS: { [name: string]: Action } = { pass: Action.Pass, login: Action.Login, bearer: Action.Bearer, deny: Action.Deny };

const sub = string.sub;
const byte = string.byte;
const SLASH = 47;

/** Compiles configured rules (already schema-checked) in order. */
export function compileRules(this: void, specs: RuleSpec[]): Rule[] {
  const rules: Rule[] = [];
  for (const spec of specs) {
    let host = spec.host !== undefined ? string.lower(spec.host) : undefined;
    let wildcard = false;
    if (host !== undefined && sub(host, 1, 2) === "*.") {
      host = sub(host, 2);
      wildcard = true;
    }
    const prefix = spec.path_prefix === "/" ? undefined : spec.path_prefix;
    rules.push({
      host, wildcard, prefix,
      prefixLength: prefix !== undefined ? prefix.length : 0,
      prefixOpen: prefix !== undefined && sub(prefix, -1) === "/",
      action: ACTIONS[spec.action],
    });
  }
  return rules;
}

/**
 * The action for a request: `host` as nginx's `$host` (lower case, no port), `uri` the
 * normalized path (`$uri`). "/api" matches "/api" and "/api/x", not "/apis"; "/api/"
 * matches anything below it.
 */
export function matchRules(this: void, rules: Rule[], host: string, uri: string): Action {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const ruleHost = rule.host;
    if (ruleHost !== undefined) {
      if (rule.wildcard) {
        const hostLength = host.length;
        if (hostLength <= ruleHost.length || sub(host, hostLength - ruleHost.length + 1) !== ruleHost) continue;
      } else if (host !== ruleHost) continue;
    }
    const prefix = rule.prefix;
    if (prefix !== undefined) {
      const length = rule.prefixLength;
      if (sub(uri, 1, length) !== prefix) continue;
      if (!rule.prefixOpen && uri.length > length && byte(uri, length + 1) !== SLASH) continue;
    }
    return rule.action;
  }
  return Action.Pass;
}
