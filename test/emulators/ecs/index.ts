export { EcsEmulator } from './ecs-emulator.js';
export {
  EcsError,
  WRITE_OPERATIONS,
  type EcsEmulatorOptions,
  type EcsTimings,
} from '../../../emulators/aws-ecs/ecs-emulator.js';
export {
  BotocoreChecker,
  loadEcsModel,
  ECS_MODEL_PATH,
  ECS_EXAMPLES_PATH,
} from '../../../emulators/aws-ecs/botocore-checker.js';
export { ecsTestbed, SUBNETS, type EcsTestbed, type EcsTestbedOptions } from './testbed.js';
export { realTimeEcsEmulator, testEcsClient } from './real-time.js';
