import { nativeAutoscalers, sliceAutoscaling } from '../../autoscaling/native-autoscaling.js';
import type { Provider, SliceAutoscaling } from '../../provider/provider.js';
import type { Deployment } from '../../spec/deployment.js';

/**
 * Which autoscaling a slice of `deployment` carries to each target: its `spec.autoscaling` for a
 * target whose own autoscaler scales it (every target the deployment may use has one), nothing
 * where skyfleet's autoscaler drives the count.
 */
export function nativeBoundsOf(
  providers: ReadonlyMap<string, Provider>,
  deployment: Deployment,
): (target: string) => SliceAutoscaling | undefined {
  if (!deployment.spec.autoscaling) return () => undefined;
  const native = nativeAutoscalers(
    deployment,
    [...providers.values()].map((p) => p.describe()),
  );
  const bounds = native ? sliceAutoscaling(deployment) : undefined;
  return (target) => (bounds && native?.includes(target) ? bounds : undefined);
}
