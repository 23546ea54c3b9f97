// A throwaway CA and a server certificate for loopback TLS, made with the openssl CLI.
// The server certificate names localhost, 127.0.0.1 and ::1; 127.0.0.1 is also listed as a
// DNS name because nginx's cosocket checks the peer name with X509_check_host (DNS names only).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM texts and their file paths. */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
  /** A self-signed certificate for the same names that no one trusts. */
  untrustedCert: string;
  untrustedKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** Creates the CA and certificates in a fresh temporary folder (readable by nginx workers). */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "resty-ts-pki-"));
  execFileSync("chmod", ["755", dir]);
  const san = "subjectAltName=DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1,IP:::1";
  writeFileSync(join(dir, "ext.cnf"), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n${san}\n`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
    "-out", "ca.pem", "-days", "2", "-subj", "/CN=resty-ts test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
    "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"], dir);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "untrusted.key",
    "-out", "untrusted.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", san], dir);
  execFileSync("chmod", ["644", ...["ca.pem", "server.pem", "untrusted.pem"].map((f) => join(dir, f))]);
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    dir, caFile: join(dir, "ca.pem"), ca: read("ca.pem"), cert: read("server.pem"), key: read("server.key"),
    untrustedCert: read("untrusted.pem"), untrustedKey: read("untrusted.key"),
  };
}
