import { EcsEmulator as EmulatedEcs } from '../../../emulators/aws-ecs/ecs-emulator.js';
import { installEmulator, type InstalledEmulator } from '../framework/index.js';

/** The ECS emulator (emulators/aws-ecs) behind nock at `https://ecs.<region>.amazonaws.com`. */
export class EcsEmulator extends EmulatedEcs {
  private installed: InstalledEmulator | undefined;

  /** Starts intercepting `https://ecs.<region>.amazonaws.com`. */
  install(): this {
    this.installed ??= installEmulator(this.origin, (method, path, _q, headers, body) =>
      this.handle(method, path, headers, body),
    );
    return this;
  }

  uninstall(): void {
    this.installed?.uninstall();
    this.installed = undefined;
  }
}
