import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the official models the emulators check against live: this folder in the sources
 * (`emulators/reference/`), which the compiled code in `dist/emulators/reference/` finds three
 * levels up. The files are copies of AWS's botocore model, Microsoft's azure-rest-api-specs and
 * Google's googleapis protos (README.md here gives each source and commit).
 */
export function referencePath(...parts: string[]): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '../../../emulators/reference')]) {
    if (existsSync(join(dir, 'README.md'))) return join(dir, ...parts);
  }
  throw new Error(`the emulators' reference models are missing (looked in ${here}); reinstall skyfleet`);
}
