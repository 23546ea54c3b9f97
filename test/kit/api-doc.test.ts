// docs/api.md: generated from the declarations, every function with its phases, and current.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./project";

const generator = join(ROOT, "kit", "api-doc.mjs");
const { generate, API_DOC } = await import(generator);
const text: string = generate();
const row = (name: string) => text.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));

describe("API reference", () => {
  it("lists functions with the phases their declarations name", () => {
    expect(row("ngx.sleep")).toMatch(/^\| `ngx\.sleep` \| ssl_cert, rewrite, access, content, timer \| `sleep\(seconds: number\): void` \|/);
    expect(row("ngx.socket.tcp")).toMatch(/\| ssl_cert, ssl_session_fetch, rewrite, access, content, timer \|/);
    expect(row("ngx.req.set_header")).toMatch(/\| set, rewrite, access, content, header_filter, body_filter \|/);
    expect(row("ngx.log")).toMatch(/\| all \|/);
    expect(row("ngx.header")).toMatch(/assign: rewrite, access, content, header_filter/);
  });

  it("covers the objects the API returns and the Lua modules", () => {
    expect(row("NgxSharedDict:incr")).toBeDefined();
    expect(row("NgxTcpSocket:connect")).toMatch(/\| ssl_cert, ssl_session_fetch, rewrite, access, content, timer \|/);
    expect(row("ngx.ssl.set_cert")).toMatch(/\| ssl_cert \|/);
    expect(text).toMatch(/^### resty\.lrucache$/m);
  });

  it("is up to date in docs/api.md (regenerate: node kit/api-doc.mjs)", () => {
    expect(readFileSync(API_DOC, "utf8") === text, "docs/api.md differs from what node kit/api-doc.mjs generates").toBe(true);
  });
});
