// json_log's log phase under LuaJIT: compiled as one trace. Its generated code holds more
// constants than LuaJIT's default per-trace limit allows; plugins/lib/jit.ts raises the limit,
// without which LuaJIT abandons the trace ("trace too long") on every attempt and the handler runs
// as small traces joined by the interpreter (about 1 us more per request, bench/json_log.mjs).
import { describe, it, expect, afterEach } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Nginx } from "../../harness/nginx.mjs";
import { startLogging, waitForEntries, accessLog } from "./support";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

const HEADERS = {
  "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
  Accept: "text/html,*/*;q=0.8",
  "Accept-Language": "en-US,en;q=0.9",
};

/**
 * Runs 600 requests through json_log (one worker, jit.v on), `local` of them answered by nginx
 * itself and the rest proxied, and returns LuaJIT's trace log.
 */
async function traceLog(local: (i: number) => boolean): Promise<string> {
  nginx = await startLogging(undefined, {
    workers: 1,
    ports: ["live"],
    http: ({ ports }) => `server { listen 127.0.0.1:${ports.live}; location / { return 200 "up"; } }`,
    locations: ({ ports }) => `location / { proxy_pass http://127.0.0.1:${ports.live}; }
        location /local { return 200 "here"; }`,
    init: (ctx) => `plugins = require("plugins") plugins.init({ "json_log" })
        require("jit.v").on("${join(ctx.prefix, "logs", "jit.log")}")`,
  });
  const requests = 600;
  for (let i = 0; i < requests; i++) {
    // No query: a query's parsing loops, as it must.
    const response = await nginx.fetch(local(i) ? "/local" : `/page/${i % 7}`, { headers: HEADERS });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
  await waitForEntries(accessLog(nginx), requests);
  const traces = readFileSync(join(nginx.prefix, "logs", "jit.log"), "utf8");
  // jit.v ran and LuaJIT compiled traces (from the dispatcher, where the log phase starts).
  expect(traces).toMatch(/\[TRACE\s+\d+ plugins\.lua/);
  return traces;
}

describe("json_log under LuaJIT", () => {
  it("compiles the proxied request's log phase without abandoning a trace for its length", async () => {
    expect(await traceLog(() => false)).not.toMatch(/trace too long/);
  });

  it("has no loop on the way when there was no upstream (its lists are cleared)", async () => {
    // Mostly unproxied requests, so that a loop there would be hot before the handler's trace.
    expect(await traceLog((i) => i % 5 !== 4)).not.toMatch(/inner loop in root trace/);
  });
});
