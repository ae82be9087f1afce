import type { Deployment } from '../../src/spec/deployment.js';
import { revisionOf } from '../../src/spec/revision.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/** An in-memory store holding these deployments as `apply` records them (spec + revision). */
export async function storeWith(...deployments: Deployment[]): Promise<Store> {
  const store = await SqliteStore.open(':memory:');
  for (const d of deployments) await recordSpec(store, d);
  return store;
}

/** Records a deployment's spec and revision, as `apply` (or a new generation) does. */
export async function recordSpec(store: Store, d: Deployment): Promise<void> {
  const revision = revisionOf(d.spec.template);
  await store.putRevision(d.metadata.name, revision, d.spec.template, Date.now());
  await store.putDeployment({ name: d.metadata.name, spec: d, revision, updatedAt: Date.now() });
}
