// The few parts of npm oidc-provider 9 (which ships no types) the openidc tests use.
declare module "oidc-provider" {
  /** A Koa context as oidc-provider hands it to hooks; only what the tests read. */
  export interface Context {
    path: string;
    status: number;
    host: string;
    body: unknown;
    request: { body?: Record<string, string> };
    oidc?: { params?: Record<string, unknown> };
  }
  export interface Client {
    grantTypeAllowed(grant: string): boolean;
  }
  /** An OpenID Provider: a Koa application. */
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    use(middleware: (ctx: Context, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    callback(): (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;
  }
}
