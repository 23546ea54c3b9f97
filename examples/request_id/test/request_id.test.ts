// request_id in real nginx, in front of a real upstream that echoes the id it received.
// Build first: npx resty-ts build (resty-ts' own suite builds it in test/kit/examples.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { startNginx, type Nginx, type NginxOptions } from "resty-ts/harness";

const luaPath = [`${fileURLToPath(new URL("../build/lua", import.meta.url))}/?.lua`];

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/** nginx with request_id, proxying to an upstream that answers with the id header it got. */
const start = (options: NginxOptions = {}) => startNginx({
  plugins: ["request_id"],
  luaPath,
  ports: ["upstream"],
  http: ({ ports }) => `
    server {
        listen 127.0.0.1:${ports.upstream};
        location / { return 200 "$http_x_request_id|$http_x_correlation_id"; }
    }`,
  locations: ({ ports }) => `location / { proxy_pass http://127.0.0.1:${ports.upstream}; }`,
  ...options,
});

/** The id the upstream saw, and the one the client got back. */
async function ids(response: Response, header = "x-request-id") {
  const [requestId, correlationId] = (await response.text()).split("|");
  return { upstream: header === "x-request-id" ? requestId : correlationId, client: response.headers.get(header) };
}

describe("request_id", () => {
  it("gives a request without an id nginx's $request_id, upstream and back", async () => {
    nginx = await start();
    const first = await ids(await nginx.fetch("/"));
    const second = await ids(await nginx.fetch("/"));
    expect(first.upstream).toMatch(/^[0-9a-f]{32}$/);
    expect(first.client).toBe(first.upstream);
    expect(second.upstream).not.toBe(first.upstream);
  });

  it("keeps a well-formed incoming id and replaces a malformed or oversized one", async () => {
    nginx = await start();
    expect(await ids(await nginx.fetch("/", { headers: { "X-Request-Id": "abc-123.x:y_z" } })))
      .toEqual({ upstream: "abc-123.x:y_z", client: "abc-123.x:y_z" });
    for (const bad of ["has space", "a\"quote", "x".repeat(65), "semi;colon"]) {
      const seen = await ids(await nginx.fetch("/", { headers: { "X-Request-Id": bad } }));
      expect(seen.upstream, bad).toMatch(/^[0-9a-f]{32}$/);
      expect(seen.client, bad).toBe(seen.upstream);
    }
  });

  it("follows its configuration: header name, no trust, no echo", async () => {
    nginx = await start({ config: { request_id: { header: "X-Correlation-Id", trust_incoming: false, echo: false } } });
    const response = await nginx.fetch("/", { headers: { "X-Correlation-Id": "client-chosen" } });
    const seen = await ids(response, "x-correlation-id");
    expect(seen.upstream).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.client).toBeNull();
  });

  it("logs one line naming a bad key and leaves requests alone", async () => {
    const problem = /plugin "request_id": invalid config: key "header": expected a header name \(letters, digits, -\), found string "X Bad"/;
    nginx = await start({ config: { request_id: { header: "X Bad" } }, allowLog: [problem] });
    const response = await nginx.fetch("/", { headers: { "X-Request-Id": "kept as sent" } });
    expect(await ids(response)).toEqual({ upstream: "kept as sent", client: null });
    expect(nginx.errorLog().match(new RegExp(problem.source, "g"))).toHaveLength(1);
  });
});
