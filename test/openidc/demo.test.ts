// The `npm start` demo of openidc (demo/openidc.mjs) works as the README says: its local OP
// signs in any user name, and /openidc-demo/ then shows the identity the upstream received.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startNginx, freePort, type Nginx } from "../../harness/nginx.mjs";
import { Agent } from "./gateway";

interface Demo {
  http: string;
  locations: string;
  setup(ctx: { port: number }): Promise<{ stop(): Promise<void>; config: Record<string, unknown> }>;
}

// Imported by a computed name: the test TypeScript project does not take in demo/.
const DEMO_MODULE = "../../demo/openidc.mjs";

let nginx: Nginx | undefined;
let stopOp: (() => Promise<void>) | undefined;
let base: string;

beforeAll(async () => {
  // The demo OP's port is read when the module loads; a free one keeps clear of a running `npm start`.
  process.env.OPENIDC_DEMO_OP_PORT = String(await freePort());
  const demo = (await import(DEMO_MODULE)).default as Demo;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const { stop, config } = await demo.setup({ port });
  stopOp = stop;
  nginx = await startNginx({ port, plugins: ["openidc"], config: { openidc: config }, http: demo.http, locations: `${demo.locations}
        location / { content_by_lua_block { ngx.say("hello from resty-ts") } }` });
});

afterAll(async () => {
  await nginx?.stop();
  await stopOp?.();
});

describe("openidc demo", () => {
  it("signs in with any user name at the local OP and shows the identity upstream", async () => {
    const agent = new Agent();
    const start = await agent.fetch(`${base}/openidc-demo/`);
    expect(start.status).toBe(302);
    const callback = await agent.throughOp(start.headers.get("location")!, `${base}/openidc/callback`, "demo");
    const done = await agent.fetch(callback);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/openidc-demo/");
    const page = await agent.fetch(`${base}/openidc-demo/`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toMatch(/X-User:\s+demo\n/);
    expect(text).toMatch(/X-Email:\s+demo@demo\.example\n/);
    expect((await fetch(`${base}/openidc-demo/`, { headers: { accept: "application/json" } })).status).toBe(401);
    // Everything else passes (no rule matches).
    expect(await (await fetch(`${base}/`)).text()).toBe("hello from resty-ts\n");
  });
});
