// cert_selection in real nginx: which certificate each handshake gets (Node's TLS client with
// `servername`), RSA and ECDSA side by side, defaults, session resumption, strange SNI, and
// refused certificate files.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Nginx } from "../../harness/nginx.mjs";
import { certDir, makeCert } from "./certs.mjs";
import { startNginx } from "../../harness/nginx.mjs";
import { probe, refused, rawClientHello, startGateway, tlsServer } from "./tls";

const dir = certDir();
const rsaBoth = makeCert(dir, "both.test", { type: "rsa" });
const ecBoth = makeCert(dir, "both.test", { type: "ecdsa" });
const apex = makeCert(dir, "example.test", { type: "ecdsa" });
const wild = makeCert(dir, "*.example.test", { type: "ecdsa" });
const www = makeCert(dir, "www.example.test", { type: "rsa" });
const cnOnly = makeCert(dir, "cn-only.test", { san: [] });
const sanAndCn = makeCert(dir, "san.test", { cn: "cn-ignored.test" });
const multi = makeCert(dir, "one.test", { san: ["one.test", "two.test"] });
const restricted = makeCert(dir, "r1.test", { san: ["r1.test", "r2.test"] });
const fallback = makeCert(dir, "default.test", { type: "rsa" });
const expired = makeCert(dir, "old.test", { days: -1 });

const certificates = [
  { cert: rsaBoth.cert, key: rsaBoth.key },
  { cert: ecBoth.cert, key: ecBoth.key },
  { cert: apex.cert, key: apex.key },
  { cert: wild.cert, key: wild.key },
  { cert: www.cert, key: www.key },
  { cert: cnOnly.cert, key: cnOnly.key },
  { cert: sanAndCn.cert, key: sanAndCn.key },
  { cert: multi.cert, key: multi.key },
  { cert: restricted.cert, key: restricted.key, hosts: ["R1.test."] },
  { cert: expired.cert, key: expired.key },
];

describe("cert_selection: matching", () => {
  let nginx: Nginx;
  let port: number;
  beforeAll(async () => {
    nginx = await startGateway(dir, { certificates, default: { cert: fallback.cert, key: fallback.key } }, {
      allowLog: [
        /certificate config:.*old\.test.* expired at/,
        // nginx's own line (at crit) for the ClientHello OpenSSL refuses: a 300-byte SNI.
        /\[crit\].*SSL_do_handshake\(\) failed \(SSL: error:0A00006E:SSL routines::bad extension\)/,
      ],
    });
    port = nginx.ports.tls;
  });
  afterAll(async () => nginx.stop());

  it("serves the exact name, then the one-label wildcard, never two labels deep or the bare parent", async () => {
    expect((await probe(port, "www.example.test")).names).toEqual(["www.example.test"]);
    expect((await probe(port, "example.test")).names).toEqual(["example.test"]);
    expect((await probe(port, "a.example.test")).names).toEqual(["*.example.test"]);
    // Two labels deep: the default certificate, not the wildcard.
    expect((await probe(port, "a.b.example.test")).names).toEqual(["default.test"]);
    expect((await probe(port, "example.test.other")).names).toEqual(["default.test"]);
  });

  it("normalises case and one trailing dot", async () => {
    expect((await probe(port, "WWW.Example.TEST")).names).toEqual(["www.example.test"]);
    expect((await probe(port, "www.example.test.")).names).toEqual(["www.example.test"]);
    expect((await probe(port, "A.EXAMPLE.test.")).names).toEqual(["*.example.test"]);
  });

  it("gives clients without SNI the default certificate", async () => {
    const seen = await probe(port, undefined);
    expect(seen.names).toEqual(["default.test"]);
    expect(seen.keyType).toBe("rsa");
  });

  it("takes names from subjectAltName, and from the CN only without one", async () => {
    expect((await probe(port, "cn-only.test")).names).toEqual(["cn-only.test"]);
    expect((await probe(port, "san.test")).names).toEqual(["san.test"]);
    expect((await probe(port, "cn-ignored.test")).names).toEqual(["default.test"]);
    expect((await probe(port, "two.test")).names).toEqual(["one.test", "two.test"]);
  });

  it("serves only the hosts given when `hosts` is set", async () => {
    expect((await probe(port, "r1.test")).names).toEqual(["r1.test", "r2.test"]);
    expect((await probe(port, "r2.test")).names).toEqual(["default.test"]);
  });

  it("lets the client's signature algorithms choose between RSA and ECDSA for one name", async () => {
    expect((await probe(port, "both.test")).keyType).toBe("ec");
    const rsa13 = await probe(port, "both.test", { sigalgs: "rsa_pss_rsae_sha256:rsa_pkcs1_sha256" });
    expect(rsa13.keyType).toBe("rsa");
    expect(rsa13.names).toEqual(["both.test"]);
    const rsa12 = await probe(port, "both.test", { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-GCM-SHA256" });
    expect(rsa12.keyType).toBe("rsa");
    expect(rsa12.protocol).toBe("TLSv1.2");
    const ec12 = await probe(port, "both.test", { maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
    expect(ec12.keyType).toBe("ec");
    expect((await probe(port, "both.test", { sigalgs: "ecdsa_secp256r1_sha256" })).keyType).toBe("ec");
  });

  it("refuses an RSA-only client for an ECDSA-only name rather than serving another name", async () => {
    await refused(port, "example.test", { sigalgs: "rsa_pss_rsae_sha256:rsa_pkcs1_sha256" });
  });

  it("never resumes a session under another name's certificate", async () => {
    for (const maxVersion of ["TLSv1.2", "TLSv1.3"] as const) {
      const first = await probe(port, "www.example.test", { maxVersion });
      expect(first.session).toBeDefined();
      const again = await probe(port, "www.example.test", { maxVersion, session: first.session });
      expect(again.reused).toBe(true);
      const other = await probe(port, "example.test", { maxVersion, session: first.session });
      expect(other.names).toEqual(["example.test"]);
      expect(other.reused).toBe(false);
    }
  });

  it("serves an expired certificate and warns once", async () => {
    expect((await probe(port, "old.test")).names).toEqual(["old.test"]);
    expect((await probe(port, "old.test")).names).toEqual(["old.test"]);
    const warnings = nginx.errorLog().split("\n").filter((line) => /old\.test.* expired at/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\[warn\]/);
  });

  it("answers strange SNI bytes without a Lua error", async () => {
    for (const sni of [
      Buffer.from("a".repeat(254)), Buffer.from(`${"a.".repeat(127)}b`), Buffer.from("caf\u00e9.example.test", "latin1"),
      Buffer.from([0xff, 0xfe, 0x41]), Buffer.from("*.example.test"), Buffer.from("10.0.0.1"), Buffer.from("."),
    ]) {
      expect(await rawClientHello(port, sni)).toBe(0x16);
    }
    // Over 255 bytes: OpenSSL itself refuses the ClientHello with an alert; still no Lua error.
    expect([0x15, 0x16, null]).toContain(await rawClientHello(port, Buffer.from("b".repeat(300))));
    // A literal "*.example.test" SNI must not select the wildcard entry by its own name.
    expect((await probe(port, "*.example.test")).names).toEqual(["default.test"]);
    expect(nginx.badLogLines()).toEqual([]);
  });
});

describe("cert_selection: without default", () => {
  let nginx: Nginx | undefined;
  afterEach(async () => {
    await nginx?.stop();
    nginx = undefined;
  });

  it("leaves unknown names to nginx's static certificate", async () => {
    nginx = await startGateway(dir, { certificates: [{ cert: apex.cert, key: apex.key }] });
    expect((await probe(nginx.ports.tls, "unknown.test")).names).toEqual(["placeholder.invalid"]);
    expect((await probe(nginx.ports.tls, undefined)).names).toEqual(["placeholder.invalid"]);
    expect((await probe(nginx.ports.tls, "example.test")).names).toEqual(["example.test"]);
  });

  it("chooses by the SNI OpenSSL keeps when there is no ssl_client_hello hook", async () => {
    nginx = await startGateway(dir, { certificates, default: { cert: fallback.cert, key: fallback.key } }, {}, "");
    expect((await probe(nginx.ports.tls, "WWW.example.test.")).names).toEqual(["www.example.test"]);
    expect((await probe(nginx.ports.tls, "a.example.test")).names).toEqual(["*.example.test"]);
    expect((await probe(nginx.ports.tls, undefined)).names).toEqual(["default.test"]);
  });

  it("refuses unknown names and clients without SNI with reject_unknown", async () => {
    nginx = await startGateway(dir, { certificates: [{ cert: apex.cert, key: apex.key }], reject_unknown: true });
    await refused(nginx.ports.tls, "unknown.test");
    await refused(nginx.ports.tls, undefined);
    expect((await probe(nginx.ports.tls, "example.test")).names).toEqual(["example.test"]);
  });
});

describe("cert_selection: without lua_shared_dict resty_ts_certs", () => {
  it("serves the configured certificates, logs that directory and admin are off, and answers no API", async () => {
    const placeholder = makeCert(dir, "placeholder.invalid", {}, "placeholder");
    const nginx = await startNginx({
      plugins: ["cert_selection"],
      config: { cert_selection: { certificates: [{ cert: apex.cert, key: apex.key }], directory: dir, admin: { token: "0123456789abcdef-admin-token" } } },
      ports: ["tls"],
      http: tlsServer(placeholder),
      allowLog: [/`directory` and `admin` need `lua_shared_dict resty_ts_certs/],
    });
    try {
      expect(nginx.errorLog()).toMatch(/cert_selection: `directory` and `admin` need `lua_shared_dict resty_ts_certs 16m;` \(or larger\); they are off/);
      expect((await probe(nginx.ports.tls, "example.test")).names).toEqual(["example.test"]);
      expect((await probe(nginx.ports.tls, "www.example.test")).names).toEqual(["placeholder.invalid"]);
      const api = await nginx.fetch("/.resty-ts/certificates", { headers: { Authorization: "Bearer 0123456789abcdef-admin-token" } });
      expect(await api.text()).toBe("ok\n");
    } finally {
      await nginx.stop();
    }
  });
});

describe("cert_selection: refused certificate files", () => {
  it("logs one line naming each bad file and serves the good ones", async () => {
    const bad = certDir();
    const malformed = join(bad, "malformed.crt");
    writeFileSync(malformed, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    const other = makeCert(bad, "other.test");
    const encrypted = makeCert(bad, "encrypted.test", { encrypted: true });
    const notPem = join(bad, "notpem.crt");
    writeFileSync(notPem, "hello");
    const nginx = await startGateway(dir, {
      certificates: [
        { cert: malformed, key: apex.key },
        { cert: apex.cert, key: other.key },
        { cert: encrypted.cert, key: encrypted.key },
        { cert: www.cert, key: www.key, hosts: ["other.example.test"] },
        { cert: notPem, key: apex.key },
        { cert: join(bad, "missing.crt"), key: apex.key },
        { cert: multi.cert, key: multi.key },
      ],
    }, { allowLog: [/cert_selection: refused/] });
    try {
      const refusedLines = nginx.errorLog().split("\n").filter((line) => line.includes("cert_selection: refused"));
      const expectations: [string, RegExp][] = [
        [malformed, /malformed PEM certificate/],
        [apex.cert, /does not match the certificate/],
        [encrypted.cert, /private key is encrypted/],
        [www.cert, /not valid for host "other\.example\.test" \(it names www\.example\.test\)/],
        [notPem, /not PEM/],
        [join(bad, "missing.crt"), /cannot read/],
      ];
      // Once at load in the master; workers inherit the result and say nothing.
      expect(refusedLines).toHaveLength(expectations.length);
      for (const [file, reason] of expectations) {
        const line = refusedLines.find((l) => l.includes(`refused ${file}:`));
        expect(line, file).toMatch(reason);
      }
      expect((await probe(nginx.ports.tls, "two.test")).names).toEqual(["one.test", "two.test"]);
      expect((await probe(nginx.ports.tls, "example.test")).names).toEqual(["placeholder.invalid"]);
    } finally {
      await nginx.stop();
    }
  });

  it("loads with a bad configuration, logs it, and leaves nginx's certificate in place", async () => {
    const nginx = await startGateway(dir, { certificates: "nope", reject_unknown: true }, { allowLog: [/plugin "cert_selection": invalid config: key "certificates": expected a list/] });
    try {
      expect(nginx.errorLog()).toMatch(/invalid config: key "certificates": expected a list/);
      expect((await probe(nginx.ports.tls, "example.test")).names).toEqual(["placeholder.invalid"]);
    } finally {
      await nginx.stop();
    }
  });
});
