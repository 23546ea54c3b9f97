// @ts-check
// vitest setup: when a test fails, print the error.log of every nginx it left running;
// after each file, stop whatever is still running so no nginx outlives the run.
import { afterEach, afterAll } from "vitest";
import { runningNginx } from "./nginx.mjs";

afterEach((context) => {
  if (context.task.result?.state !== "fail") return;
  for (const nginx of runningNginx()) {
    console.error(`--- error.log of nginx in ${nginx.prefix} ---\n${nginx.errorLog()}`);
  }
});

afterAll(async () => {
  for (const nginx of runningNginx()) await nginx.stop({ check: false });
});
