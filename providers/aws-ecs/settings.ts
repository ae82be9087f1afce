import { z } from 'zod';
import { targetBase, zoneName } from '../../src/spec/target-base.js';

const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/, {
  error: 'expected an AWS ARN like "arn:aws:iam::123456789012:role/name"',
});
const subnetId = z.string().regex(/^subnet-[0-9a-z]{1,32}$/, { error: 'expected a subnet id like "subnet-0abc1234"' });
const securityGroupId = z
  .string()
  .regex(/^sg-[0-9a-z]{1,32}$/, { error: 'expected a security group id like "sg-0abc1234"' });

/**
 * An ECS cluster in one region, running Fargate tasks. The target's zones are the keys of
 * `subnets` (availability zone -> subnet ids in that zone): a slice for zone `us-east-1a` becomes a
 * service whose tasks are pinned to that zone's subnets.
 *
 * ```yaml
 * - name: aws-east
 *   kind: aws-ecs
 *   region: us-east-1
 *   cluster: skyfleet
 *   subnets: { us-east-1a: [subnet-0aaa], us-east-1b: [subnet-0bbb] }
 *   securityGroups: [sg-0123]
 *   executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
 * ```
 */
/**
 * Container logs through the `awslogs` driver into CloudWatch Logs. Streams are
 * `<streamPrefix>/<container>/<task id>`.
 */
const awsLogs = z.strictObject({
  /** Log group; default `/skyfleet/<fleet>`. */
  group: z
    .string()
    .regex(/^[.\-_/#A-Za-z0-9]{1,512}$/, { error: 'expected a CloudWatch Logs group name like "/skyfleet/prod"' })
    .optional(),
  /** Stream prefix; default the deployment name. */
  streamPrefix: z
    .string()
    .regex(/^[^:*]{1,256}$/, { error: 'a stream prefix must not contain ":" or "*"' })
    .optional(),
  /**
   * The log group is created by ECS when missing (`awslogs-create-group`), which needs
   * `logs:CreateLogGroup` on the execution role. `false`: the group must exist already.
   */
  createGroup: z.boolean().default(true),
});

export const awsEcsTargetSettings = z
  .strictObject({
    ...targetBase,
    kind: z.literal('aws-ecs'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: 'expected an AWS region like "us-east-1"' }),
    /** Cluster short name or ARN. The cluster must have the FARGATE / FARGATE_SPOT capacity providers. */
    cluster: z.string().min(1).max(1600),
    subnets: z.record(zoneName, z.array(subnetId).min(1).max(16)).refine((m) => Object.keys(m).length > 0, {
      error: 'expected at least one zone with subnets, e.g. { us-east-1a: [subnet-0aaa] }',
    }),
    securityGroups: z.array(securityGroupId).max(5).default([]),
    /** Tasks get a public IP (needed in public subnets without a NAT to pull images). */
    assignPublicIp: z.boolean().default(false),
    /** Role ECS uses to pull images and read `secrets` (required when any env var is a secret). */
    executionRoleArn: arn.optional(),
    /**
     * Container logs (`awslogs` into CloudWatch Logs, see README "Logs"): on by default when
     * `executionRoleArn` is set (Fargate sends them with that role); `false` turns them off.
     */
    logs: z.union([z.literal(false), awsLogs]).optional(),
    /** Role the containers run as. */
    taskRoleArn: arn.optional(),
    capacityProvider: z.enum(['FARGATE', 'FARGATE_SPOT']).default('FARGATE'),
    platformVersion: z.string().min(1).default('LATEST'),
    /**
     * Maps a `secretKeyRef.name` to the ARN of a Secrets Manager secret or an SSM parameter. A
     * `secretKeyRef.name` that is itself an ARN needs no entry. See README "Secrets".
     */
    secrets: z.record(z.string().min(1), arn).default({}),
    /**
     * Read the current version of each secret (Secrets Manager DescribeSecret, SSM
     * DescribeParameters; never a value) at every apply, so a rotation is a new revision that
     * replaces every task. `false`: a rotation reaches only tasks started later.
     */
    trackSecretVersions: z.boolean().default(true),
    /** Static credentials; the SDK's default chain (env, profile, SSO, IMDS...) when absent. */
    credentials: z
      .strictObject({
        accessKeyId: z.string().min(1),
        secretAccessKey: z.string().min(1),
        sessionToken: z.string().optional(),
      })
      .optional(),
    /** Endpoint override (tests, VPC endpoints). */
    endpoint: z.url().optional(),
    /** Secrets Manager endpoint override (its VPC endpoint, `skyfleet emulate`), for `trackSecretVersions`. */
    secretsManagerEndpoint: z.url().optional(),
    /** SSM endpoint override, as `secretsManagerEndpoint`. */
    ssmEndpoint: z.url().optional(),
    /** EC2 endpoint override (public IPs of tasks, `assignPublicIp`), as `secretsManagerEndpoint`. */
    ec2Endpoint: z.url().optional(),
    /** SDK attempts per call (the SDK's own bounded retry); the reconciler retries across calls. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
  })
  .superRefine((s, ctx) => {
    if (s.logs && !s.executionRoleArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['logs'],
        message:
          'awslogs on Fargate needs an executionRoleArn (ECS sends the logs with that role): set executionRoleArn, or logs: false',
      });
    }
  });
export type AwsEcsTargetSettings = z.output<typeof awsEcsTargetSettings>;
export type AwsEcsTargetSettingsInput = z.input<typeof awsEcsTargetSettings>;
