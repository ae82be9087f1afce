export { EcsEmulator, EcsError, WRITE_OPERATIONS, type EcsEmulatorOptions, type EcsTimings } from './ecs-emulator.js';
export { BotocoreChecker, loadEcsModel, ECS_MODEL_PATH, ECS_EXAMPLES_PATH } from './botocore-checker.js';
export { ecsTestbed, SUBNETS, type EcsTestbed, type EcsTestbedOptions } from './testbed.js';
