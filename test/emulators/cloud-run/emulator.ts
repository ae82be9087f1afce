import {
  type CloudRunEmulatorOptions,
  CloudRunEmulator as EmulatedCloudRun,
  RUN_ORIGIN,
} from '../../../emulators/gcp-cloud-run/cloud-run-emulator.js';
import { SECRET_MANAGER_ORIGIN } from '../../../emulators/gcp-cloud-run/secret-manager.js';
import type { CloudRunDataPlane, DataPlaneAddress } from '../../../emulators/gcp-cloud-run/data-plane.js';
import { runAppCert } from '../../helpers/tls/index.js';
import { installEmulator, type InstalledEmulator } from '../framework/index.js';

/**
 * The Cloud Run emulator (emulators/gcp-cloud-run) behind nock at https://run.googleapis.com, its
 * data plane serving the test CA's `*.run.app` certificate (test/helpers/tls), its list lagging
 * writes.
 */
export class CloudRunEmulator extends EmulatedCloudRun {
  private installed: InstalledEmulator | undefined;

  /**
   * Unless a test says otherwise, ListServices lags writes by twice the time a revision takes to
   * become ready (6 s with the default timings): an apply that waited for its rollout still does
   * not find its service in a list.
   */
  constructor(options: CloudRunEmulatorOptions) {
    super({ ...options, consistencyLagMs: options.consistencyLagMs ?? 2 * (options.revisionReadyMs ?? 3000) });
  }

  private installedSecrets: InstalledEmulator | undefined;

  /** Intercepts Cloud Run at `origin`, and Secret Manager at its own origin. */
  install(origin = RUN_ORIGIN): InstalledEmulator {
    this.installed = installEmulator(origin, (m, p, q, h, b) => this.handle(m, p, q, h, b));
    this.installedSecrets ??= installEmulator(SECRET_MANAGER_ORIGIN, async (m, p) => this.secretManager.handle(m, p));
    return this.installed;
  }

  uninstall(): void {
    this.installed?.uninstall();
    this.installed = undefined;
    this.installedSecrets?.uninstall();
    this.installedSecrets = undefined;
  }

  override serveDataPlane(
    tls: { key: string; cert: string } = runAppCert,
  ): Promise<{ dataPlane: CloudRunDataPlane; address: DataPlaneAddress }> {
    return super.serveDataPlane(tls);
  }
}
export {
  RUN_ORIGIN,
  type CloudRunEmulatorOptions,
  type ServiceState,
  type RevisionState,
} from '../../../emulators/gcp-cloud-run/cloud-run-emulator.js';
