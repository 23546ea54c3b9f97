// @ts-check
// Many certificates fast, for cert_selection's benchmark: X.509 v3 DER built here and signed
// with Node's crypto (the openssl CLI takes ~20 ms a certificate; this takes ~50 us).
// Each certificate carries `subjectKey`'s public key and one DNS name, issued by a throwaway
// ECDSA key (clients in the benchmark do not verify the chain).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";

/** DER TLV. @param {number} tag @param {Buffer} body */
function tlv(tag, body) {
  const n = body.length;
  const length = n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 255]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const seq = (/** @type {Buffer[]} */ ...parts) => tlv(0x30, Buffer.concat(parts));
/** @param {string} dotted */
function oid(dotted) {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const groups = [];
    let v = n;
    do { groups.unshift(v & 127); v = Math.floor(v / 128); } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 128;
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
/** @param {Date} date */
const utcTime = (date) => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"));
/** @param {string} cn */
const name = (cn) => seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn)))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

/** PEM armour. @param {string} label @param {Buffer} der */
export function pem(label, der) {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A key pair of the type, as PEM (PKCS#8 private key). @param {"rsa" | "ecdsa"} type */
export function newKeyPem(type) {
  const { privateKey } = type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return /** @type {string} */ (privateKey.export({ type: "pkcs8", format: "pem" }));
}

/** Makes certificates for one subject key. @param {string} subjectKeyPem */
export function issuer(subjectKeyPem) {
  const spki = /** @type {Buffer} */ (createPublicKey(createPrivateKey(subjectKeyPem)).export({ type: "spki", format: "der" }));
  const { privateKey: caKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const issuerName = name("resty-ts bench CA");
  let serial = 1;
  /** A PEM certificate for `host`, valid for `days`. @param {string} host @param {number} [days] */
  return (host, days = 30) => {
    const now = Date.now();
    const san = seq(tlv(0x82, Buffer.from(host)));
    const extensions = tlv(0xa3, seq(seq(oid("2.5.29.17"), tlv(0x04, san))));
    const tbs = seq(
      tlv(0xa0, tlv(0x02, Buffer.from([2]))),
      tlv(0x02, Buffer.from([0x40, (serial >> 8) & 255, serial++ & 255])),
      ECDSA_SHA256, issuerName,
      seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86400_000))),
      name(host), spki, extensions,
    );
    const signature = sign("sha256", tbs, caKey);
    return pem("CERTIFICATE", seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))));
  };
}
