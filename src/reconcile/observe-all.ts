import type { ObservedSlice, Provider } from '../provider/provider.js';

/** Observes one deployment (or the whole fleet) on every target at once. */
export async function observeAll(
  providers: ReadonlyMap<string, Provider>,
  fleet: string,
  deployment: string | undefined,
  signal?: AbortSignal,
): Promise<ObservedSlice[]> {
  const lists = await Promise.all(
    [...providers.values()].map((p) =>
      p.observe(deployment ? { fleet, deployment } : { fleet }, { signal, reason: 'observe' }),
    ),
  );
  return lists.flat();
}
