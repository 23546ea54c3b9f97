// @ts-check
// Test certificates made with the openssl CLI: self-signed RSA or ECDSA pairs with chosen DNS
// names, for cert_selection's tests, benchmark and demo.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh world-readable folder for certificates (nginx workers run as nobody). */
export function certDir() {
  const dir = mkdtempSync(join(tmpdir(), "resty-ts-certs-"));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * @typedef {object} CertOptions
 * @property {"rsa" | "ecdsa"} [type] key type (default ecdsa, P-256; rsa is 2048 bits)
 * @property {string[]} [san] subjectAltName DNS names (default: [name]); [] for none
 * @property {string} [cn] subject CN (default: name)
 * @property {number} [days] validity in days; negative makes an expired certificate
 * @property {boolean} [encrypted] encrypt the key with a passphrase
 * @property {string} [keyFrom] use this existing key file instead of a new key
 */

/**
 * @typedef {object} Cert
 * @property {string} cert path of the PEM certificate
 * @property {string} key path of the PEM key
 * @property {string} certPem
 * @property {string} keyPem
 */

/** Runs openssl, returning stdout. @param {string[]} args */
function openssl(args) {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/**
 * Writes `<file>.crt` and `<file>.key` into `dir` (file defaults to the name and type).
 * @param {string} dir @param {string} name @param {CertOptions} [options] @param {string} [file]
 * @returns {Cert}
 */
export function makeCert(dir, name, options = {}, file = `${name.replace(/\*/g, "_wild")}-${options.type ?? "ecdsa"}`) {
  const type = options.type ?? "ecdsa";
  const cert = join(dir, `${file}.crt`);
  const key = join(dir, `${file}.key`);
  if (options.keyFrom) writeFileSync(key, readFileSync(options.keyFrom));
  else if (type === "rsa") openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]);
  else openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  const csr = join(dir, `${file}.csr`);
  openssl(["req", "-new", "-key", key, "-subj", `/CN=${options.cn ?? name}`, "-out", csr]);
  const san = options.san ?? [name];
  const args = ["x509", "-req", "-in", csr, "-signkey", key, "-days", String(options.days ?? 30), "-out", cert];
  if (san.length > 0) {
    const ext = join(dir, `${file}.ext`);
    writeFileSync(ext, `subjectAltName=${san.map((n) => `DNS:${n}`).join(",")}\n`);
    args.push("-extfile", ext);
  }
  openssl(args);
  if (options.encrypted) {
    openssl(["pkey", "-in", key, "-out", `${key}.enc`, "-aes256", "-passout", "pass:secret"]);
    writeFileSync(key, readFileSync(`${key}.enc`));
  }
  chmodSync(cert, 0o644);
  chmodSync(key, 0o644);
  return { cert, key, certPem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
}
