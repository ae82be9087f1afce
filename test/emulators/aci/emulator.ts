import { AciEmulator as EmulatedAci, type AciEmulatorOptions, ARM } from '../../../emulators/azure-aci/aci-emulator.js';
import { installEmulator, type InstalledEmulator } from '../framework/index.js';

/**
 * The ACI emulator (emulators/azure-aci) behind nock at https://management.azure.com. Unless a test
 * says otherwise, lists lag writes as ARM's do, by twice the provisioning time (6 s with the default
 * timings): an apply that waited for provisioning still does not find its groups in a list.
 */
export class AciEmulator extends EmulatedAci {
  private installed: InstalledEmulator | undefined;

  constructor(options: AciEmulatorOptions = {}) {
    super({ ...options, consistencyLagMs: options.consistencyLagMs ?? 2 * (options.provisionMs ?? 3000) });
  }

  install(origin = ARM): InstalledEmulator {
    this.installed = installEmulator(origin, (m, p, q, h, b) => this.handle(m, p, q, h, b, origin));
    return this.installed;
  }

  uninstall(): void {
    this.installed?.uninstall();
    this.installed = undefined;
  }
}
export { ARM, API_VERSION, type AciEmulatorOptions } from '../../../emulators/azure-aci/aci-emulator.js';
