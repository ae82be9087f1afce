/**
 * The accounts, regions and networks a stand-in serves: fixed, so a fleet file written once keeps
 * working (`skyfleet emulate` prints the targets that use them).
 */
export const STAND_IN_IDS = {
  aws: {
    region: 'us-east-1',
    accountId: '000000000000',
    cluster: 'skyfleet-emulated',
    subnets: { 'us-east-1a': ['subnet-0e0000000000000a1'], 'us-east-1b': ['subnet-0e0000000000000b1'] },
  },
  azure: {
    subscriptionId: '5ca1ab1e-0000-4000-8000-00000000e001',
    resourceGroup: 'skyfleet-emulated',
    location: 'eastus',
    zones: ['1', '2', '3'],
  },
  gcp: { project: 'skyfleet-emulated', region: 'us-central1' },
} as const;

/** The ARN of the stand-in's Secrets Manager secret `name` (fixed, so a fleet file can name it). */
export function standInSecretArn(name: string): string {
  const { region, accountId } = STAND_IN_IDS.aws;
  return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-sfemul`;
}
