import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ValidationError } from '../errors/index.js';

/**
 * The CAs skyfleet's load balancers trust for TLS endpoints: the system's and those of every
 * target's `caFile` (PEM), or undefined when no target names one (the system's alone). A file
 * that cannot be read is a ValidationError naming the target's field.
 */
export function trustedCas(
  targets: ReadonlyArray<{ name: string; caFile?: string | undefined }>,
): string[] | undefined {
  const files = targets.filter((t) => t.caFile);
  if (files.length === 0) return undefined;
  return [
    ...rootCertificates,
    ...files.map((t, i) => {
      try {
        return readFileSync(t.caFile!, 'utf8');
      } catch (e) {
        throw new ValidationError([
          {
            path: `targets[${i}].caFile`,
            message: `target "${t.name}": cannot read ${t.caFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a readable PEM file`,
          },
        ]);
      }
    }),
  ];
}
