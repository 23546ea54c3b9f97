// The __NAME__ plugin in real nginx: build first with `npx resty-ts build`.
import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { startNginx, type Nginx } from "resty-ts/harness";

/** The project's built Lua, put first on nginx's lua_package_path. */
const luaPath = [`${fileURLToPath(new URL("../build/lua", import.meta.url))}/?.lua`];

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop(); // also fails the test when error.log shows a Lua error
  nginx = undefined;
});

describe("__NAME__", () => {
  it("answers its path with the greeting", async () => {
    nginx = await startNginx({ plugins: ["__NAME__"], luaPath });
    const response = await nginx.fetch("/__NAME__");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Hello from __NAME__!\n");
  });

  it("marks other responses and leaves them alone", async () => {
    nginx = await startNginx({ plugins: ["__NAME__"], luaPath });
    const response = await nginx.fetch("/elsewhere");
    expect(response.headers.get("X-__HEADER__")).toBe("1");
    expect(await response.text()).toBe("ok\n");
  });

  it("takes its configuration from the __NAME__ section", async () => {
    nginx = await startNginx({
      plugins: ["__NAME__"],
      luaPath,
      config: { __NAME__: { path: "/hi", greeting: "hi there", header: "X-Greeted" } },
    });
    expect(await (await nginx.fetch("/hi")).text()).toBe("hi there\n");
    expect((await nginx.fetch("/")).headers.get("x-greeted")).toBe("1");
  });

  it("logs one clear line and stays out of the way when the configuration is wrong", async () => {
    const problem = /plugin "__NAME__": invalid config: key "path": expected a string, found number 5/;
    nginx = await startNginx({ plugins: ["__NAME__"], luaPath, config: { __NAME__: { path: 5 } }, allowLog: [problem] });
    const response = await nginx.fetch("/__NAME__");
    expect(await response.text()).toBe("ok\n");
    expect(response.headers.get("X-__HEADER__")).toBeNull();
    expect(nginx.errorLog()).toMatch(problem);
  });
});
