#!/usr/bin/env node
// resty-ts: write, check, build and test OpenResty plugins in TypeScript.
//
//   resty-ts new <name>                scaffold plugins/<name>/, its test and its spec
//   resty-ts build [<name>...]         build plugins to build/lua/plugins/<name>/main.lua
//   resty-ts check [<name>...]         report OpenResty APIs used in phases that forbid them
//                                      and slow constructs on per-request paths
//   options: --project DIR (default: the current directory); check --json
import { resolve } from "node:path";

const USAGE = `usage: resty-ts <command> [options]

  new <name>          scaffold plugins/<name>/ (main.ts, config.ts), test/<name>.test.ts,
                      spec/<name>_spec.lua, and tstl.json / vitest.config.mjs when missing
  build [<name>...]   build the plugins (or only the named ones) to build/lua/plugins/<name>/main.lua;
                      fails on any diagnostic, global variable, stray module or @NoResolution marker
  check [<name>...]   report, with file:line and a fix, OpenResty APIs reached from a phase that
                      forbids them and constructs that compile to slow Lua on per-request paths

options:
  --project DIR       the project folder (default: the current directory)
  --json              (check) print the findings as JSON: file, line, column, kind, message, fix, phase, path
`;

async function main(argv) {
  const [command, ...rest] = argv;
  let projectDir = process.cwd();
  const names = [];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--project") projectDir = resolve(rest[++i] ?? ".");
    else if (rest[i] === "--json" && command === "check") json = true;
    else if (rest[i].startsWith("-")) return usage(`unknown option ${rest[i]}`);
    else names.push(rest[i]);
  }
  switch (command) {
    case "new": {
      if (names.length !== 1) return usage("new takes one plugin name");
      const { scaffold } = await import("../kit/new.mjs");
      return scaffold({ projectDir, name: names[0] });
    }
    case "build": {
      const { buildProject } = await import("../kit/build.mjs");
      return buildProject({ projectDir, plugins: names });
    }
    case "check": {
      const { checkProject, formatFinding } = await import("../kit/check/analyze.mjs");
      const findings = checkProject({ projectDir, plugins: names });
      if (json) {
        console.log(JSON.stringify(findings, null, 2));
        return findings.length === 0 ? 0 : 1;
      }
      for (const finding of findings) console.log(formatFinding(finding));
      console.log(findings.length === 0 ? "resty-ts check: no findings" : `resty-ts check: ${findings.length} finding(s)`);
      return findings.length === 0 ? 0 : 1;
    }
    case "help":
    case "--help":
    case "-h":
    case undefined:
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(`unknown command ${command}`);
  }
}

function usage(problem) {
  process.stderr.write(`resty-ts: ${problem}\n\n${USAGE}`);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`resty-ts: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
