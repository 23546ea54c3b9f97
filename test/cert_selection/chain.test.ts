// The chain a handshake presents is the certificate file's, leaf first, intermediates as given,
// as with nginx's own ssl_certificate: nothing is added from the trust store
// (ssl_trusted_certificate; nginx sets SSL_MODE_NO_AUTO_CHAIN on its contexts).
import { describe, it, expect, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import * as tls from "node:tls";
import { join } from "node:path";
import type { Nginx } from "../../harness/nginx.mjs";
import { certDir } from "./certs.mjs";
import { startGateway } from "./tls";

const dir = certDir();
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
const ext = (name: string, text: string) => { writeFileSync(join(dir, name), text); return name; };

// root -> intermediate -> leaf (chain.test), all ECDSA P-256.
for (const name of ["root", "intermediate", "leaf"]) openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
const caExt = ext("ca.ext", "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n");
openssl("req", "-new", "-x509", "-key", "root.key", "-subj", "/CN=resty-ts test root", "-days", "30", "-out", "root.crt", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
openssl("req", "-new", "-key", "intermediate.key", "-subj", "/CN=resty-ts test intermediate", "-out", "intermediate.csr");
openssl("x509", "-req", "-in", "intermediate.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial", "-days", "30", "-extfile", caExt, "-out", "intermediate.crt");
openssl("req", "-new", "-key", "leaf.key", "-subj", "/CN=chain.test", "-out", "leaf.csr");
openssl("x509", "-req", "-in", "leaf.csr", "-CA", "intermediate.crt", "-CAkey", "intermediate.key", "-CAcreateserial", "-days", "30", "-extfile", ext("leaf.ext", "subjectAltName=DNS:chain.test,DNS:full.chain.test\n"), "-out", "leaf.crt");
writeFileSync(join(dir, "full.crt"), readFileSync(join(dir, "leaf.crt"), "utf8") + readFileSync(join(dir, "intermediate.crt"), "utf8"));
writeFileSync(join(dir, "trusted.crt"), readFileSync(join(dir, "intermediate.crt"), "utf8") + readFileSync(join(dir, "root.crt"), "utf8"));
for (const file of ["leaf.crt", "leaf.key", "full.crt", "trusted.crt"]) chmodSync(join(dir, file), 0o644);

/** Subjects of the chain the server sent, leaf first. */
function presentedChain(port: number, servername: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const subjects: string[] = [];
      let cert = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        subjects.push(String(cert.subject.CN));
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(subjects);
    });
    socket.once("error", reject);
  });
}

describe("cert_selection: the chain presented", () => {
  let nginx: Nginx | undefined;
  afterAll(async () => nginx?.stop());

  it("is exactly the file's, even when the trust store could complete it", async () => {
    nginx = await startGateway(dir, {
      certificates: [
        { cert: join(dir, "leaf.crt"), key: join(dir, "leaf.key"), hosts: ["chain.test"] },
        { cert: join(dir, "full.crt"), key: join(dir, "leaf.key"), hosts: ["full.chain.test"] },
      ],
    }, { http: `ssl_trusted_certificate ${join(dir, "trusted.crt")};` });
    const port = nginx.ports.tls;
    expect(await presentedChain(port, "chain.test")).toEqual(["chain.test"]);
    expect(await presentedChain(port, "full.chain.test")).toEqual(["chain.test", "resty-ts test intermediate"]);
  });
});
