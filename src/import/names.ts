import { NAME_PATTERN } from '../spec/names.js';

/**
 * A skyfleet name (1-40 lowercase letters, digits or "-", starting with a letter) for a name from
 * another tool, and whether it had to change.
 */
export function skyfleetName(raw: string): { name: string; changed: boolean } {
  if (NAME_PATTERN.test(raw)) return { name: raw, changed: false };
  let n = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-');
  if (!/^[a-z]/.test(n)) n = `x-${n}`;
  n = n.slice(0, 40).replace(/-+$/, '');
  if (!n || !NAME_PATTERN.test(n)) n = 'imported';
  return { name: n, changed: true };
}
