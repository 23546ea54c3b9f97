// hello_world in real nginx, in front of a real upstream that echoes the header it received.
// Build first: npx resty-ts build (resty-ts' own suite builds it in test/kit/examples.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { startNginx, type Nginx } from "resty-ts/harness";

const luaPath = [`${fileURLToPath(new URL("../build/lua", import.meta.url))}/?.lua`];

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/** nginx with hello_world, proxying to an upstream server that answers with x-hello-world. */
const start = () => startNginx({
  plugins: ["hello_world"],
  luaPath,
  ports: ["upstream"],
  http: ({ ports }) => `
    server {
        listen 127.0.0.1:${ports.upstream};
        location / { return 200 "x-hello-world=[$http_x_hello_world]"; }
    }`,
  locations: ({ ports }) => `location / { proxy_pass http://127.0.0.1:${ports.upstream}; }`,
});

describe("hello_world", () => {
  it("adds x-hello-world: 1 to requests whose User-Agent is hello", async () => {
    nginx = await start();
    const response = await nginx.fetch("/", { headers: { "User-Agent": "hello" } });
    expect(await response.text()).toBe("x-hello-world=[1]");
  });

  it("leaves other requests alone", async () => {
    nginx = await start();
    for (const agent of ["curl/8.0", "Hello", "hello world", ""]) {
      const response = await nginx.fetch("/", { headers: { "User-Agent": agent } });
      expect(await response.text(), `User-Agent: ${agent}`).toBe("x-hello-world=[]");
    }
  });

  it("replaces an x-hello-world header the client sent", async () => {
    nginx = await start();
    const response = await nginx.fetch("/", { headers: { "User-Agent": "hello", "X-Hello-World": "0" } });
    expect(await response.text()).toBe("x-hello-world=[1]");
  });
});
