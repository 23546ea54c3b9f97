// Configuration of the cert_selection plugin (section `cert_selection`), checked once at load.
import * as schema from "../lib/schema";
import { cidrList } from "../lib/ip";

/** Path of a PEM certificate chain (leaf first). */
const certFile = schema.str({ nonEmpty: true });
/** Path of an unencrypted PEM private key. */
const keyFile = schema.str({ nonEmpty: true });

/** The admin API: add, replace and remove certificates at runtime. */
const admin = schema.record({
  /** URI prefix of the API; requests under it are answered by the plugin. */
  path: schema.str({ default: "/.resty-ts/certificates", minLength: 2 }),
  /** Client addresses (CIDRs) allowed to call it; loopback by default. */
  allow: cidrList({ default: ["127.0.0.1", "::1"] }),
  /** When set, callers must send `Authorization: Bearer <token>` (never shown in a log line). */
  token: schema.optional(schema.secret(16)),
  /** Where the API's certificates are kept across restarts (relative paths: the nginx prefix). */
  state_file: schema.str({ default: "data/cert_selection.json", nonEmpty: true }),
});

/** The `cert_selection` section. */
export const parser = schema.record({
  /** Certificate files; names come from `hosts` or else from the certificate. */
  certificates: schema.list(schema.record({ cert: certFile, key: keyFile, hosts: schema.optional(schema.list(schema.str(), { minItems: 1 })) })),
  /** A folder of `<name>.crt` + `<name>.key` pairs and `<name>/tls.crt` + `<name>/tls.key` (Kubernetes Secret mounts). */
  directory: schema.optional(schema.str({ nonEmpty: true })),
  /** Seconds between rescans of `directory`. */
  rescan_interval: schema.num({ default: 10, min: 1 }),
  /** Served when no name matches, and to clients sending no SNI. */
  default: schema.optional(schema.record({ cert: certFile, key: keyFile })),
  /** Refuse handshakes no certificate matches (otherwise nginx's static certificate is served). */
  reject_unknown: schema.bool(false),
  /** The runtime API; absent means off. */
  admin: schema.optional(admin),
});

/** The checked `cert_selection` section. */
export type CertSelectionConfig = schema.Parsed<typeof parser>;

/** The checked `admin` subsection. */
export type AdminConfig = NonNullable<CertSelectionConfig["admin"]>;
