export { CloudRunEmulator } from './emulator.js';
export {
  RUN_ORIGIN,
  type CloudRunEmulatorOptions,
  type ServiceState,
  type RevisionState,
} from '../../../emulators/gcp-cloud-run/cloud-run-emulator.js';
export { ProtoModel, loadRoot, PROTO_DIR } from '../../../emulators/gcp-cloud-run/proto-model.js';
export { steppingClock } from './clock.js';
export { runHarness, type RunHarness } from './harness.js';
export { CloudRunDataPlane, type DataPlaneAddress } from '../../../emulators/gcp-cloud-run/data-plane.js';
