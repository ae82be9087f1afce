/** The labels (tags) every resource skyfleet creates carries, on every provider. */
export const LABELS = {
  managedBy: 'skyfleet.dev/managed-by',
  fleet: 'skyfleet.dev/fleet',
  deployment: 'skyfleet.dev/deployment',
  revision: 'skyfleet.dev/revision',
  target: 'skyfleet.dev/target',
  domain: 'skyfleet.dev/domain',
  ordinal: 'skyfleet.dev/ordinal',
} as const;

export const MANAGED_BY = 'skyfleet';
