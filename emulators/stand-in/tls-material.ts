import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSelfSignedCert } from '../../src/util/self-signed-cert.js';
import { STAND_IN_IDS } from './stand-in-ids.js';

/** The names the certificate must hold: the APIs, Cloud Run's hosts, and the ACI groups' FQDNs. */
const NAMES = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'DNS:*.a.run.app',
  'DNS:*.run.app',
  `DNS:*.${STAND_IN_IDS.azure.location}.azurecontainer.io`,
];

/** Whether a certificate (PEM) names everything in NAMES (one made by an older stand-in may not). */
function namesAll(pem: string): boolean {
  const san = new X509Certificate(pem).subjectAltName ?? '';
  return NAMES.every((n) => san.includes(n.startsWith('IP:') ? `IP Address:${n.slice(3)}` : n));
}

export interface TlsMaterial {
  /** The certificate (self-signed: it is its own CA) and its key, PEM. */
  cert: string;
  key: string;
  /** Where the certificate is, for a target's `caFile`. */
  caFile: string;
}

/**
 * The stand-in's TLS certificate, made once with openssl into `dir` and reused: one self-signed
 * certificate for the API (`127.0.0.1`, `localhost`) and the data plane (Cloud Run's `*.a.run.app`,
 * `*.run.app`; ACI's `*.<location>.azurecontainer.io`), made again when one found lacks a name.
 * Clients trust it through a target's `caFile`; nothing else trusts it.
 */
export function tlsMaterial(dir: string): TlsMaterial {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'stand-in.crt');
  const keyFile = join(dir, 'stand-in.key');
  if (!existsSync(caFile) || !existsSync(keyFile) || !namesAll(readFileSync(caFile, 'utf8'))) {
    try {
      makeSelfSignedCert({
        certFile: caFile,
        keyFile,
        subject: 'skyfleet emulate (a local stand-in, not a cloud)',
        altNames: NAMES,
        days: 3650,
      });
    } catch (e) {
      throw new Error(`openssl could not make the stand-in's certificate in ${dir}: ${(e as Error).message}`);
    }
  }
  return { cert: readFileSync(caFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), caFile };
}
