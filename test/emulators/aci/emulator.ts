import { AciEmulator as EmulatedAci, ARM } from '../../../emulators/azure-aci/aci-emulator.js';
import { installEmulator, type InstalledEmulator } from '../framework/index.js';

/** The ACI emulator (emulators/azure-aci) behind nock at https://management.azure.com. */
export class AciEmulator extends EmulatedAci {
  private installed: InstalledEmulator | undefined;

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
