import type { Provider } from '../../provider/provider.js';
import { observeAll } from '../observe-all.js';
import type { Observation, Observer } from './observer.js';

/** Reads one deployment on every target at once; any target's error fails the observe. */
export class DeploymentObserver implements Observer {
  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly fleet: string,
  ) {}

  async observe(deployment: string, signal?: AbortSignal): Promise<Observation> {
    return { slices: await observeAll(this.providers, this.fleet, deployment, signal), failed: new Map() };
  }
}
