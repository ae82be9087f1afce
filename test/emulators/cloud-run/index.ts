export {
  CloudRunEmulator,
  RUN_ORIGIN,
  type CloudRunEmulatorOptions,
  type ServiceState,
  type RevisionState,
} from './emulator.js';
export { ProtoModel, loadRoot, PROTO_DIR } from './proto-model.js';
export { steppingClock } from './clock.js';
export { runHarness, type RunHarness } from './harness.js';
export { CloudRunDataPlane, type DataPlaneAddress } from './data-plane.js';
