// cert_selection's runtime sources in real nginx with 2 workers: the admin API (changes seen by
// every worker, bad input answered 400, persistence across a restart) and the rescanned directory.
import { describe, it, expect, afterEach } from "vitest";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync, readFileSync, readdirSync, copyFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Nginx } from "../../harness/nginx.mjs";
import { certDir, makeCert } from "./certs.mjs";
import { startNginx } from "../../harness/nginx.mjs";
import { eventually, probe, sleep, startGateway, tlsServer, type Seen } from "./tls";

const dir = certDir();
const TOKEN = "0123456789abcdef-admin-token";
const API = "/.resty-ts/certificates";
const alpha = makeCert(dir, "alpha.test", { type: "ecdsa" });
const alphaRsa = makeCert(dir, "alpha.test", { type: "rsa" });
const alpha2 = makeCert(dir, "alpha.test", { type: "ecdsa", san: ["alpha.test", "alpha2.test"] }, "alpha-second");
const beta = makeCert(dir, "beta.test");
const wild = makeCert(dir, "*.apps.test");
const expired = makeCert(dir, "expired.test", { days: -1 });

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/**
 * Handshakes (each with GET / to learn the worker) in parallel batches until both workers have
 * presented a certificate satisfying `wanted`; fails when one never does.
 */
async function everyWorker(port: number, servername: string, wanted: (seen: Seen) => boolean, options: Parameters<typeof probe>[2] = {}) {
  const done = new Set<string>();
  const deadline = Date.now() + 15000;
  while (done.size < 2 && Date.now() < deadline) {
    // A worker not yet synced may refuse the handshake (an RSA-only client, an ECDSA-only name).
    const batch = await Promise.allSettled(Array.from({ length: 8 }, () => probe(port, servername, { ...options, request: true })));
    for (const result of batch) if (result.status === "fulfilled" && wanted(result.value)) done.add(result.value.worker ?? "?");
    if (done.size < 2) await sleep(50);
  }
  expect([...done].sort(), `both workers serve the expected certificate for ${servername}`).toEqual(["0", "1"]);
}

const named = (...names: string[]) => (seen: Seen) => JSON.stringify(seen.names) === JSON.stringify(names);

/** The API's promise: a change is served by every worker within this long. */
const BOUND_MS = 1000;

/**
 * Makes a change (committed when `change` resolves), then handshakes with both workers until
 * each presents what `wanted` accepts. Fails when a handshake started more than BOUND_MS after
 * the commit still got the old certificate, or when a worker never serves the new one.
 */
async function seenWithinBound(port: number, servername: string, wanted: (seen: Seen) => boolean, change: () => Promise<void>) {
  await change();
  const committed = Date.now();
  const done = new Set<string>();
  const late: string[] = [];
  while (done.size < 2 && Date.now() < committed + 15000) {
    const batch = await Promise.allSettled(Array.from({ length: 8 }, async () => {
      const started = Date.now() - committed;
      return { started, seen: await probe(port, servername, { request: true }) };
    }));
    for (const result of batch) {
      if (result.status !== "fulfilled") continue;
      const { started, seen } = result.value;
      if (wanted(seen)) done.add(seen.worker ?? "?");
      else if (started > BOUND_MS) late.push(`worker ${seen.worker} still served ${seen.names} ${started} ms after the change`);
    }
    if (done.size < 2) await sleep(20);
  }
  expect(late, servername).toEqual([]);
  expect([...done].sort(), `both workers serve the change for ${servername}`).toEqual(["0", "1"]);
}

function api(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("Authorization", `Bearer ${init.token ?? TOKEN}`);
  return nginx!.fetch(`${API}${path}`, { ...init, headers });
}

function put(id: string, body: unknown) {
  return api(`/${id}`, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body) });
}

function stateDir() {
  const state = certDir();
  chmodSync(state, 0o777);
  return state;
}

const adminSection = (stateFile: string, extra: Record<string, unknown> = {}) => ({
  admin: { token: TOKEN, state_file: stateFile },
  ...extra,
});

describe("cert_selection: admin API", () => {
  it("adds, replaces and removes certificates, seen by every worker", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2, allowLog: [/expired at/] });
    const port = nginx.ports.tls;
    expect((await probe(port, "alpha.test")).names).toEqual(["placeholder.invalid"]);

    const added = await put("alpha", { cert: alpha.certPem, key: alpha.keyPem });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ id: "alpha", source: "api", hosts: ["alpha.test"], key_type: "ecdsa", expired: false });
    await everyWorker(port, "alpha.test", named("alpha.test"));

    // An RSA certificate for the same name sits beside the ECDSA one.
    expect((await put("alpha-rsa", { cert: alphaRsa.certPem, key: alphaRsa.keyPem })).status).toBe(200);
    await everyWorker(port, "alpha.test", (seen) => seen.keyType === "rsa", { sigalgs: "rsa_pss_rsae_sha256" });
    await everyWorker(port, "alpha.test", (seen) => seen.keyType === "ec");

    // Replacing: the new certificate (with a second name) everywhere.
    expect((await put("alpha", { cert: alpha2.certPem, key: alpha2.keyPem })).status).toBe(200);
    await everyWorker(port, "alpha.test", named("alpha.test", "alpha2.test"));

    const listed = await (await api("")).json();
    expect(listed.certificates.map((c: { id: string }) => c.id).sort()).toEqual(["alpha", "alpha-rsa"]);
    expect(JSON.stringify(listed)).not.toContain("PRIVATE KEY");

    // Removing the ECDSA one leaves RSA for alpha.test.
    expect((await api("/alpha", { method: "DELETE" })).status).toBe(200);
    expect((await api("/alpha", { method: "DELETE" })).status).toBe(404);
    await everyWorker(port, "alpha.test", (seen) => seen.keyType === "rsa");
    expect((await probe(port, "alpha2.test")).names).toEqual(["placeholder.invalid"]);

    // Wildcards and an expired certificate (served, flagged).
    expect((await put("apps", { cert: wild.certPem, key: wild.keyPem })).status).toBe(200);
    const old = await put("old", { cert: expired.certPem, key: expired.keyPem });
    expect(await old.json()).toMatchObject({ expired: true });
    await everyWorker(port, "x.apps.test", named("*.apps.test"));
    await everyWorker(port, "expired.test", named("expired.test"));
    // Served by both workers, warned about once.
    expect(nginx.errorLog().split("\n").filter((line) => /api:old for expired\.test expired at/.test(line))).toHaveLength(1);
    expect((await probe(port, "x.y.apps.test")).names).toEqual(["placeholder.invalid"]);
  });

  it("answers bad input with 400 and a reason, and keeps serving what it served", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2 });
    const port = nginx.ports.tls;
    expect((await put("beta", { cert: beta.certPem, key: beta.keyPem })).status).toBe(200);
    const encrypted = makeCert(dir, "beta.test", { encrypted: true }, "beta-encrypted");
    const cases: [unknown, RegExp][] = [
      ["not json", /JSON object/],
      [{ cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key: beta.keyPem }, /malformed PEM certificate/],
      [{ cert: beta.certPem, key: alpha.keyPem }, /does not match the certificate/],
      [{ cert: encrypted.certPem, key: encrypted.keyPem }, /private key is encrypted/],
      [{ cert: beta.certPem, key: beta.keyPem, hosts: ["gamma.test"] }, /not valid for host "gamma\.test"/],
      [{ cert: beta.certPem, key: beta.keyPem, hosts: ["*.test"] }, /at least two labels/],
      [{ cert: beta.certPem, key: beta.keyPem, hosts: [] }, /non-empty list/],
      [{ cert: beta.certPem }, /private key is not PEM/],
      [{ cert: beta.certPem, key: beta.keyPem, extra: 1 }, /unknown key "extra"/],
    ];
    for (const [body, reason] of cases) {
      const response = await put("beta", body);
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect((await response.json()).error).toMatch(reason);
    }
    expect((await put("bad id!", { cert: beta.certPem, key: beta.keyPem })).status).toBe(400);
    // A second ECDSA certificate for a name another API certificate holds: conflict.
    const betaOther = makeCert(dir, "beta.test", {}, "beta-other");
    const conflict = await put("beta-other", { cert: betaOther.certPem, key: betaOther.keyPem });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error).toMatch(/"beta"/);
    await everyWorker(port, "beta.test", named("beta.test"));
    expect(JSON.parse(readFileSync(state, "utf8")).certificates.map((c: { id: string }) => c.id)).toEqual(["beta"]);
    // It holds private keys: readable by the worker user only.
    expect(statSync(state).mode & 0o777).toBe(0o600);
  });

  it("refuses callers without the token or from outside `allow`", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, { admin: { token: TOKEN, state_file: state, allow: ["10.0.0.0/8"] } });
    expect((await api("", { token: null })).status).toBe(403);
    expect((await api("")).status).toBe(403);
    await nginx.stop();
    nginx = await startGateway(dir, adminSection(state));
    expect((await api("", { token: null })).status).toBe(403);
    expect((await api("", { token: "wrong-token-0123456789" })).status).toBe(403);
    expect((await api("/x", { method: "PUT", token: "wrong-token-0123456789", body: "{}" })).status).toBe(403);
    expect((await api("")).status).toBe(200);
    // Other paths are not the API's.
    expect(await (await nginx.fetch("/.resty-ts/certificatesX")).text()).toBe("ok\n");
    expect(nginx.errorLog()).not.toContain(TOKEN);
    expect(nginx.errorLog()).not.toContain("wrong-token-0123456789");
  });

  it("makes each change effective in both workers within a second", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2 });
    const port = nginx.ports.tls;
    const ok = async (response: Promise<Response>) => { expect((await response).status).toBe(200); };
    await seenWithinBound(port, "alpha.test", named("alpha.test"), () => ok(put("alpha", { cert: alpha.certPem, key: alpha.keyPem })));
    await seenWithinBound(port, "alpha.test", named("alpha.test", "alpha2.test"), () => ok(put("alpha", { cert: alpha2.certPem, key: alpha2.keyPem })));
    await seenWithinBound(port, "alpha.test", named("placeholder.invalid"), () => ok(api("/alpha", { method: "DELETE" })));
  });

  it("replaces the state file atomically, and refuses a change it cannot persist", async () => {
    const folder = stateDir();
    const state = join(folder, "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2, allowLog: [/admin API: cannot write .*certs\.json\.\d+\.tmp: Permission denied/] });
    expect((await put("beta", { cert: beta.certPem, key: beta.keyPem })).status).toBe(200);
    const first = statSync(state).ino;
    expect((await put("alpha", { cert: alpha.certPem, key: alpha.keyPem })).status).toBe(200);
    // A new file renamed over the old one (a new inode), not the old one rewritten in place.
    expect(statSync(state).ino).not.toBe(first);
    expect(readdirSync(folder)).toEqual(["certs.json"]);
    expect(statSync(state).mode & 0o777).toBe(0o600);

    // The workers (nobody) can no longer create the temporary file: 500, nothing changes.
    chmodSync(folder, 0o555);
    const before = readFileSync(state, "utf8");
    const refusedChange = await api("/beta", { method: "DELETE" });
    expect(refusedChange.status).toBe(500);
    expect((await refusedChange.json()).error).toMatch(/could not be persisted: cannot write/);
    expect(readFileSync(state, "utf8")).toBe(before);
    expect(readdirSync(folder)).toEqual(["certs.json"]);
    await everyWorker(nginx.ports.tls, "beta.test", named("beta.test"));
    chmodSync(folder, 0o777);
  });

  it("persists changes and loads them again after a restart", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2 });
    expect((await put("alpha", { cert: alpha.certPem, key: alpha.keyPem, hosts: ["alpha.test"] })).status).toBe(200);
    expect((await put("beta", { cert: beta.certPem, key: beta.keyPem })).status).toBe(200);
    expect((await api("/alpha", { method: "DELETE" })).status).toBe(200);
    expect((await put("alpha-rsa", { cert: alphaRsa.certPem, key: alphaRsa.keyPem })).status).toBe(200);
    await nginx.stop();
    nginx = await startGateway(dir, adminSection(state), { workers: 2 });
    const port = nginx.ports.tls;
    expect((await probe(port, "beta.test")).names).toEqual(["beta.test"]);
    const alphaSeen = await probe(port, "alpha.test");
    expect(alphaSeen.keyType).toBe("rsa");
    const listed = await (await api("")).json();
    expect(listed.certificates.map((c: { id: string }) => c.id).sort()).toEqual(["alpha-rsa", "beta"]);
  });

  it("keeps API certificates across a reload (HUP)", async () => {
    const state = join(stateDir(), "certs.json");
    nginx = await startGateway(dir, adminSection(state), { workers: 2 });
    expect((await put("beta", { cert: beta.certPem, key: beta.keyPem })).status).toBe(200);
    const before = nginx.workerPids();
    nginx.signal("SIGHUP");
    await eventually(async () => nginx!.workerPids().every((pid) => !before.includes(pid)), "new workers replaced the old ones");
    await everyWorker(nginx.ports.tls, "beta.test", named("beta.test"));

    // The state file is the truth at (re)load: edited while nginx runs, a reload applies it.
    writeFileSync(state, JSON.stringify({ certificates: [{ id: "alpha", cert: alpha.certPem, key: alpha.keyPem }] }));
    const middle = nginx.workerPids();
    nginx.signal("SIGHUP");
    await eventually(async () => nginx!.workerPids().every((pid) => !middle.includes(pid)), "new workers replaced the old ones");
    await everyWorker(nginx.ports.tls, "alpha.test", named("alpha.test"));
    await everyWorker(nginx.ports.tls, "beta.test", named("placeholder.invalid"));
  });

  it("logs one line for a broken state file entry and loads the rest", async () => {
    const state = join(stateDir(), "certs.json");
    writeFileSync(state, JSON.stringify({ certificates: [
      { id: "beta", cert: beta.certPem, key: beta.keyPem },
      { id: "broken", cert: beta.certPem, key: alpha.keyPem },
    ] }));
    chmodSync(state, 0o666);
    nginx = await startGateway(dir, adminSection(state), { allowLog: [/certificate "broken" refused/] });
    expect(nginx.errorLog()).toMatch(new RegExp(`${state}: certificate "broken" refused: the private key does not match`));
    expect((await probe(nginx.ports.tls, "beta.test")).names).toEqual(["beta.test"]);
  });
});

describe("cert_selection: a full dict", () => {
  it("answers 507 and leaves the state file as it was", async () => {
    const state = join(stateDir(), "certs.json");
    const placeholder = makeCert(dir, "placeholder.invalid", {}, "placeholder");
    const big = makeCert(dir, "big.test", { type: "rsa", san: Array.from({ length: 400 }, (_, i) => `name-${i}.big.test`) }, "big");
    nginx = await startNginx({
      plugins: ["cert_selection"],
      config: { cert_selection: adminSection(state) },
      ports: ["tls"],
      http: (ctx) => `lua_shared_dict resty_ts_certs 32k;\n${tlsServer(placeholder)(ctx)}`,
    });
    expect((await put("beta", { cert: beta.certPem, key: beta.keyPem })).status).toBe(200);
    const before = readFileSync(state, "utf8");
    const full = await put("big", { cert: big.certPem, key: big.keyPem });
    expect(full.status).toBe(507);
    expect((await full.json()).error).toMatch(/resty_ts_certs is full .*make it larger/);
    expect(readFileSync(state, "utf8")).toBe(before);
    expect((await probe(nginx.ports.tls, "beta.test")).names).toEqual(["beta.test"]);
  });
});

describe("cert_selection: an unusable state file", () => {
  it("refuses changes instead of overwriting it (its certificates would be lost)", async () => {
    const state = join(stateDir(), "certs.json");
    writeFileSync(state, '{"certificates": [{"id": "alpha", "cert": "-----BEGIN CERT');
    chmodSync(state, 0o666);
    nginx = await startGateway(dir, adminSection(state), { allowLog: [/is not a state file written by the admin API/] });
    expect(nginx.errorLog()).toMatch(new RegExp(`${state} is not a state file written by the admin API; ignored`));
    const refusedChange = await put("beta", { cert: beta.certPem, key: beta.keyPem });
    expect(refusedChange.status).toBe(503);
    expect((await refusedChange.json()).error).toMatch(/not a state file .*fix or remove it and reload/);
    expect(readFileSync(state, "utf8")).toMatch(/BEGIN CERT$/);
    expect((await probe(nginx.ports.tls, "beta.test")).names).toEqual(["placeholder.invalid"]);
  });
});

describe("cert_selection: configured files at a reload", () => {
  it("keeps serving a configured certificate whose files are broken when nginx reloads", async () => {
    const folder = certDir();
    const mine = makeCert(folder, "kept.test", {}, "kept");
    const fallback = makeCert(folder, "fallback.test", {}, "fallback");
    nginx = await startGateway(dir, { certificates: [{ cert: mine.cert, key: mine.key }], default: { cert: fallback.cert, key: fallback.key } }, {
      workers: 2,
      allowLog: [/cert_selection: refused .*kept\.crt: the private key does not match the certificate \(still serving the previous certificate\)/],
    });
    expect((await probe(nginx.ports.tls, "kept.test")).names).toEqual(["kept.test"]);
    writeFileSync(mine.key, alpha.keyPem);
    const before = nginx.workerPids();
    nginx.signal("SIGHUP");
    await eventually(async () => nginx!.workerPids().every((pid) => !before.includes(pid)), "new workers replaced the old ones");
    expect(nginx.errorLog()).toMatch(/refused .*kept\.crt: the private key does not match the certificate \(still serving the previous certificate\)/);
    await everyWorker(nginx.ports.tls, "kept.test", named("kept.test"));
  });
});

describe("cert_selection: directory", () => {
  it("loads pairs and Secret-style folders, picks up changes on rescan, and keeps a pair refused later", async () => {
    const watched = certDir();
    copyFileSync(alpha.cert, join(watched, "alpha.crt"));
    copyFileSync(alpha.key, join(watched, "alpha.key"));
    mkdirSync(join(watched, "beta-secret"));
    chmodSync(join(watched, "beta-secret"), 0o755);
    copyFileSync(beta.cert, join(watched, "beta-secret", "tls.crt"));
    copyFileSync(beta.key, join(watched, "beta-secret", "tls.key"));
    // Refused at load: malformed PEM, an encrypted key (a Secret-style folder).
    writeFileSync(join(watched, "broken.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    copyFileSync(alpha.key, join(watched, "broken.key"));
    const locked = makeCert(dir, "locked.test", { encrypted: true }, "locked");
    mkdirSync(join(watched, "locked"));
    chmodSync(join(watched, "locked"), 0o755);
    copyFileSync(locked.cert, join(watched, "locked", "tls.crt"));
    copyFileSync(locked.key, join(watched, "locked", "tls.key"));
    for (const f of ["alpha.crt", "alpha.key", "beta-secret/tls.crt", "beta-secret/tls.key", "broken.crt", "broken.key", "locked/tls.crt", "locked/tls.key"]) {
      chmodSync(join(watched, f), 0o644);
    }
    nginx = await startGateway(dir, { directory: watched, rescan_interval: 1 }, { workers: 2, allowLog: [/cert_selection: refused/] });
    const port = nginx.ports.tls;
    expect((await probe(port, "alpha.test")).names).toEqual(["alpha.test"]);
    expect((await probe(port, "beta.test")).names).toEqual(["beta.test"]);
    expect((await probe(port, "locked.test")).names).toEqual(["placeholder.invalid"]);
    const linesAbout = (file: string) => nginx!.errorLog().split("\n").filter((l) => l.includes(`refused ${join(watched, file)}:`));
    // Logged once at load (in the master); rescans of the unchanged files say nothing more.
    await sleep(2500);
    expect(linesAbout("broken.crt")).toHaveLength(1);
    expect(linesAbout("broken.crt")[0]).toMatch(/malformed PEM certificate/);
    expect(linesAbout("locked/tls.crt")).toHaveLength(1);
    expect(linesAbout("locked/tls.crt")[0]).toMatch(/private key is encrypted/);

    // Replaced in place, the way the kubelet swaps a Secret's files.
    const staged = join(watched, ".staged.crt");
    writeFileSync(staged, alpha2.certPem);
    chmodSync(staged, 0o644);
    copyFileSync(alpha2.key, join(watched, "alpha.key"));
    renameSync(staged, join(watched, "alpha.crt"));
    await everyWorker(port, "alpha.test", named("alpha.test", "alpha2.test"));

    // A broken replacement: logged once naming the file, the previous certificate stays.
    writeFileSync(join(watched, "beta-secret", "tls.key"), alpha.keyPem);
    await eventually(async () => /refused .*beta-secret\/tls\.crt: the private key does not match/.test(nginx!.errorLog()), "the bad pair is logged");
    await sleep(2500);
    expect(nginx.errorLog().split("\n").filter((l) => l.includes("beta-secret/tls.crt")).length).toBe(1);
    expect((await probe(port, "beta.test")).names).toEqual(["beta.test"]);

    // A malformed certificate appearing later: one line naming it, nothing served for it.
    writeFileSync(join(watched, "late.crt"), "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
    copyFileSync(beta.key, join(watched, "late.key"));
    chmodSync(join(watched, "late.crt"), 0o644);
    chmodSync(join(watched, "late.key"), 0o644);
    await eventually(async () => linesAbout("late.crt").length > 0, "the malformed pair is logged");
    expect(linesAbout("late.crt")[0]).toMatch(/malformed PEM certificate/);

    // One half gone (mid-update): logged once naming it, the previous certificate stays.
    rmSync(join(watched, "beta-secret", "tls.key"));
    await eventually(async () => linesAbout("beta-secret/tls.key").length > 0, "the missing key is logged");
    expect(linesAbout("beta-secret/tls.key")[0]).toMatch(/cannot read.*\(still serving the previous certificate\)/);
    await sleep(2500);
    expect(linesAbout("beta-secret/tls.key")).toHaveLength(1);
    await everyWorker(port, "beta.test", named("beta.test"));

    // Removed: no longer served.
    rmSync(join(watched, "alpha.crt"));
    await eventually(async () => (await probe(port, "alpha.test")).names[0] === "placeholder.invalid", "the removed pair is gone");
    expect(existsSync(join(watched, "alpha.key"))).toBe(true);
  });
});
