import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Test-only TLS material (made once with openssl, valid for 100 years): a CA that is no real
// authority, and a certificate it signed for `*.run.app` (Cloud Run's service hosts) with its
// key. `otherCa` signed nothing here: a client trusting only it must refuse the certificate.
const here = import.meta.dirname;
const read = (f: string) => readFileSync(join(here, f), 'utf8');

export const testCa = read('ca.pem');
export const otherCa = read('other-ca.pem');
export const runAppCert = { cert: read('run-app.pem'), key: read('run-app.key') };
