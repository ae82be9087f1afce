import { EcsEmulator as EmulatedEcs, type EcsEmulatorOptions } from '../../../emulators/aws-ecs/ecs-emulator.js';
import { installEmulator, type InstalledEmulator } from '../framework/index.js';

/**
 * The cloud tests' eventual consistency, unless a test says otherwise: reads lag writes by as long
 * as a task takes from launch to RUNNING (3 s with the default timings, milliseconds for tests on
 * the system clock with millisecond timings), and a service's tags show twice as late.
 */
export function testConsistency(options: Pick<EcsEmulatorOptions, 'timings' | 'consistencyLagMs' | 'tagLagMs'>) {
  const lag = options.consistencyLagMs ?? options.timings?.runningAfterMs ?? 3000;
  return { consistencyLagMs: lag, tagLagMs: options.tagLagMs ?? 2 * lag };
}

/**
 * The ECS emulator (emulators/aws-ecs) behind nock at `https://ecs.<region>.amazonaws.com`, with
 * list and describe reads lagging writes as on ECS (`testConsistency`; `consistencyLagMs: 0` for
 * consistent reads).
 */
export class EcsEmulator extends EmulatedEcs {
  private installed: InstalledEmulator | undefined;
  private installedEc2: InstalledEmulator | undefined;
  private installedSecrets: InstalledEmulator[] = [];

  constructor(options: EcsEmulatorOptions) {
    super({ ...options, ...testConsistency(options) });
  }

  /**
   * Starts intercepting `https://ecs.<region>.amazonaws.com`, and EC2's endpoint of the region
   * for DescribeNetworkInterfaces of the tasks' ENIs (the public IPs of awsvpc tasks), and the
   * region's Secrets Manager and SSM endpoints (the versions of the secrets tasks read).
   */
  install(): this {
    this.installed ??= installEmulator(this.origin, (method, path, _q, headers, body) =>
      this.handle(method, path, headers, body),
    );
    this.installedEc2 ??= installEmulator(this.origin.replace('//ecs.', '//ec2.'), async (_m, _p, _q, _h, body) =>
      this.handleEc2(body),
    );
    if (!this.installedSecrets.length)
      this.installedSecrets = [
        installEmulator(this.origin.replace('//ecs.', '//secretsmanager.'), async (_m, _p, _q, h, body) =>
          this.secretStores.handleSecretsManager(h, body),
        ),
        installEmulator(this.origin.replace('//ecs.', '//ssm.'), async (_m, _p, _q, h, body) =>
          this.secretStores.handleSsm(h, body),
        ),
      ];
    return this;
  }

  uninstall(): void {
    this.installed?.uninstall();
    this.installed = undefined;
    this.installedEc2?.uninstall();
    this.installedEc2 = undefined;
    for (const i of this.installedSecrets) i.uninstall();
    this.installedSecrets = [];
  }
}
