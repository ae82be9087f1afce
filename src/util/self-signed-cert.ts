import { execFileSync } from 'node:child_process';

/**
 * Makes a self-signed EC (P-256) certificate and its key with openssl, into `certFile` and
 * `keyFile`: `subject` as the CN, `altNames` (e.g. `IP:127.0.0.1`, `DNS:*.a.run.app`) as its
 * subjectAltName. Throws openssl's own message when it fails (or is not installed).
 */
export function makeSelfSignedCert(options: {
  certFile: string;
  keyFile: string;
  subject: string;
  altNames: readonly string[];
  days: number | string;
}): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      options.keyFile,
      '-out',
      options.certFile,
      '-days',
      String(options.days),
      '-subj',
      `/CN=${options.subject}`,
      '-addext',
      `subjectAltName=${options.altNames.join(',')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}
