import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSelfSignedCert } from '../../src/util/self-signed-cert.js';

export interface TlsMaterial {
  /** The certificate (self-signed: it is its own CA) and its key, PEM. */
  cert: string;
  key: string;
  /** Where the certificate is, for a target's `caFile`. */
  caFile: string;
}

/**
 * The stand-in's TLS certificate, made once with openssl into `dir` and reused: one self-signed
 * certificate for the API (`127.0.0.1`, `localhost`) and the Cloud Run data plane (`*.a.run.app`,
 * `*.run.app`). Clients trust it through a target's `caFile`; nothing else trusts it.
 */
export function tlsMaterial(dir: string): TlsMaterial {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'stand-in.crt');
  const keyFile = join(dir, 'stand-in.key');
  if (!existsSync(caFile) || !existsSync(keyFile)) {
    try {
      makeSelfSignedCert({
        certFile: caFile,
        keyFile,
        subject: 'skyfleet emulate (a local stand-in, not a cloud)',
        altNames: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:*.a.run.app', 'DNS:*.run.app'],
        days: 3650,
      });
    } catch (e) {
      throw new Error(`openssl could not make the stand-in's certificate in ${dir}: ${(e as Error).message}`);
    }
  }
  return { cert: readFileSync(caFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), caFile };
}
