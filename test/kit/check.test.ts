// `resty-ts check` on plugins with known mistakes (test/kit/fixtures/check: bad, hello): each
// phase violation is found through the call graph, with file:line, the path and a fix, and calls
// that are fine where they run (a cosocket in a timer callback, ngx.sleep in rewrite) are not;
// a plugin without mistakes (good) gets no finding at all.
import { afterAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempProject, ROOT } from "./project";

const project = tempProject();
afterAll(() => project.remove());
const fixtures = join(ROOT, "test", "kit", "fixtures", "check", "plugins");
project.write("tstl.json", JSON.stringify({ extends: "resty-ts/tstl.json", include: ["plugins/**/*.ts"] }));
for (const plugin of readdirSync(fixtures)) {
  mkdirSync(join(project.dir, "plugins", plugin), { recursive: true });
  for (const file of readdirSync(join(fixtures, plugin))) copyFileSync(join(fixtures, plugin, file), join(project.dir, "plugins", plugin, file.replace(/\.txt$/, "")));
}

type Finding = { file: string; line: number; kind: string; message: string; fix: string; phase: string; path: string[] };
const kit = join(ROOT, "kit", "check", "analyze.mjs");
const { checkProject, formatFinding } = await import(kit);
const findings: Finding[] = checkProject({ projectDir: project.dir, plugins: ["bad"] });
const at = (file: string, line: number) => findings.filter((f) => f.file === `plugins/bad/${file}` && f.line === line);

describe("resty-ts check: phases", () => {
  it("finds a cosocket created at module load (init)", () => {
    const [finding] = at("main.ts", 3);
    expect(finding.message).toMatch(/^ngx\.socket\.tcp is not allowed in init/);
    expect(finding.fix).toMatch(/init_worker or a timer/);
    expect(at("main.ts", 37)[0].message).toMatch(/^ngx\.ctx is not allowed in init/);
  });

  it("lets a module keep a reference to ngx.var, but not read variables through it at load", () => {
    expect(at("util.ts", 22)).toEqual([]);
    expect(at("util.ts", 23).map((f) => f.message)).toEqual([expect.stringMatching(/^vars \(ngx\.var\) is not allowed in init/)]);
  });

  it("follows calls into other modules: a cosocket and a cached ngx.sleep reached from log", () => {
    expect(at("util.ts", 6).map((f) => f.message)).toEqual([expect.stringMatching(/^ngx\.socket\.tcp is not allowed in log/)]);
    expect(at("util.ts", 7)[0].message).toMatch(/^sock\.connect is not allowed in log/);
    const sleep = at("util.ts", 13);
    expect(sleep).toHaveLength(1);
    expect(sleep[0].message).toMatch(/^ngx\.sleep is not allowed in log/);
    expect(sleep[0].path).toEqual(["bad.log handler (plugins/bad/main.ts:34)", "pause (plugins/bad/main.ts:22)"]);
    expect(sleep[0].fix).toMatch(/ngx\.timer\.at/);
  });

  it("tells writes from reads: ngx.header written in log", () => {
    expect(at("main.ts", 27)[0].message).toMatch(/^writing ngx\.header is not allowed in log/);
    expect(at("main.ts", 15).filter((f) => f.kind === "phase")).toEqual([]); // written in rewrite: fine
  });

  it("accepts what each phase allows: timer callbacks, ngx.sleep from rewrite, ngx.ctx in header_filter", () => {
    const phases = findings.filter((f) => f.kind === "phase");
    expect(phases.filter((f) => f.phase === "timer" || f.phase === "rewrite" || f.phase === "header_filter")).toEqual([]);
    expect(phases).toHaveLength(8);
  });
});

describe("resty-ts check: two calls deep through an import, and a plugin without mistakes", () => {
  it("finds a cosocket reached from body_filter and from init through audit -> deliver in another module, and not from rewrite", () => {
    const hello: Finding[] = checkProject({ projectDir: project.dir, plugins: ["hello"] });
    const udp = hello.filter((f) => f.file === "plugins/hello/audit.ts" && f.line === 10);
    expect(udp.map((f) => f.phase).sort()).toEqual(["body_filter", "init"]);
    const fromBodyFilter = udp.find((f) => f.phase === "body_filter")!;
    const fromInit = udp.find((f) => f.phase === "init")!;
    expect(fromBodyFilter.message).toMatch(/^ngx\.socket\.udp is not allowed in body_filter \(allowed in: .*rewrite/);
    expect(fromBodyFilter.path).toEqual(["hello.body_filter handler (plugins/hello/main.ts:15)", "audit (plugins/hello/main.ts:10)", "deliver (plugins/hello/audit.ts:5)"]);
    expect(fromBodyFilter.fix).toMatch(/ngx\.timer\.at/);
    expect(fromInit.message).toMatch(/^ngx\.socket\.udp is not allowed in init/);
    expect(fromInit.path).toEqual(["loading plugins.hello.main (init)", "audit (plugins/hello/main.ts:13)", "deliver (plugins/hello/audit.ts:5)"]);
    expect(fromInit.fix).toMatch(/init_worker or a timer/);
    // Every method call on the socket is named too, in both phases; nothing from rewrite.
    expect(hello.map((f) => `${f.line} ${f.phase} ${f.message.split(" ")[0]}`).sort()).toEqual([
      "10 body_filter ngx.socket.udp", "10 init ngx.socket.udp", "11 body_filter sock.setpeername", "11 init sock.setpeername",
      "12 body_filter sock.send", "12 init sock.send", "13 body_filter sock.close", "13 init sock.close",
    ]);
  });

  it("prints for it the example output docs/tutorial.md shows", () => {
    const tutorial = readFileSync(join(ROOT, "docs", "tutorial.md"), "utf8");
    const example = /you would read:\n\n```text\n([\s\S]*?)```/.exec(tutorial)?.[1];
    expect(example, "the tutorial's example of check's output").toBeDefined();
    const printed = checkProject({ projectDir: project.dir, plugins: ["hello"] }).map(formatFinding).join("\n");
    expect(printed).toContain(example!.trimEnd());
  });

  it("reports nothing for the same calls where they are allowed (access, timers started from log and init_worker)", () => {
    // (The command's exit 0 and "no findings" line are the tutorial test's `npx resty-ts check`.)
    expect(checkProject({ projectDir: project.dir, plugins: ["good"] })).toEqual([]);
  });
});

describe("resty-ts check: slow constructs on per-request paths", () => {
  const slow = (file: string, line: number) => at(file, line).filter((f) => f.kind === "slow").map((f) => f.message);
  it("reports each with its fix", () => {
    expect(slow("main.ts", 12)).toEqual([expect.stringMatching(/^new Map/)]);
    expect(slow("main.ts", 14)).toEqual([expect.stringMatching(/^object spread/)]);
    expect(slow("main.ts", 21)).toEqual([expect.stringMatching(/^try\/catch/)]);
    expect(slow("main.ts", 24)).toEqual([expect.stringMatching(/^new Error/)]);
    expect(slow("main.ts", 26)).toEqual([expect.stringMatching(/^\.map\(\)/), expect.stringMatching(/^a function is created on every call/)]);
    expect(slow("util.ts", 18)).toEqual([expect.stringMatching(/^split/)]);
    expect(slow("util.ts", 27)).toEqual([expect.stringMatching(/^storing a LuaMultiReturn in "both"/)]);
    expect(slow("main.ts", 39)).toEqual([expect.stringMatching(/^an async function/)]);
    expect(slow("main.ts", 40)).toEqual([expect.stringMatching(/^new Set/), expect.stringMatching(/^array spread/)]);
    expect(slow("main.ts", 41)).toEqual([expect.stringMatching(/^await/)]);
    expect(findings.filter((f) => f.kind === "slow")).toHaveLength(12);
  });

  it("leaves init-time code alone", () => {
    expect(findings.filter((f) => f.kind === "slow" && f.phase === "init")).toEqual([]);
  });
});

describe("resty-ts check: the command", () => {
  it("prints file:line:column, the path and the fix, and exits 1", () => {
    const { status, output } = project.cli("check", "bad");
    expect(status).toBe(1);
    expect(output).toContain("plugins/bad/util.ts:13:3: error: ngx.sleep is not allowed in log");
    expect(output).toContain("reached from: bad.log handler (plugins/bad/main.ts:34) -> pause (plugins/bad/main.ts:22)");
    expect(output).toMatch(/resty-ts check: 20 finding\(s\)/);
  });

  it("prints the same findings as JSON with --json", () => {
    const { status, output } = project.cli("check", "bad", "--json");
    expect(status).toBe(1);
    expect(JSON.parse(output)).toEqual(findings);
  });
});
