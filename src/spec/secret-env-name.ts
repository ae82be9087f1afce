/** The environment variable a secret is read from by default: SKYFLEET_SECRET_<NAME>_<KEY>. */
export function secretEnvName(ref: { name: string; key: string }): string {
  const norm = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `SKYFLEET_SECRET_${norm(ref.name)}_${norm(ref.key)}`;
}
