import { STAND_IN_CREDENTIAL } from './stand-in-credentials.js';
import { STAND_IN_IDS } from './stand-in-ids.js';
import type { StandIn } from './stand-in.js';

/**
 * The targets that point at a stand-in, as a Fleet document's `targets` entries (YAML): each
 * cloud's own `endpoint` setting, the stand-in's credential and its certificate as `caFile`.
 */
export function standInTargets(standIn: StandIn, caFile: string): string {
  const lines: string[] = [];
  const ids = STAND_IN_IDS;
  if (standIn.ecs) {
    const subnets = Object.entries(ids.aws.subnets)
      .map(([z, s]) => `${z}: [${s.join(', ')}]`)
      .join(', ');
    lines.push(
      `  - name: aws`,
      `    kind: aws-ecs`,
      `    region: ${ids.aws.region}`,
      `    cluster: ${ids.aws.cluster}`,
      `    subnets: { ${subnets} }`,
      `    endpoint: ${standIn.url.http}`,
      `    secretsManagerEndpoint: ${standIn.url.http}`,
      `    ssmEndpoint: ${standIn.url.http}`,
      `    executionRoleArn: arn:aws:iam::${ids.aws.accountId}:role/ecsTaskExecutionRole`,
      `    logs: false`,
      `    credentials: { accessKeyId: ${STAND_IN_CREDENTIAL}, secretAccessKey: ${STAND_IN_CREDENTIAL} }`,
    );
  }
  if (standIn.aci) {
    lines.push(
      `  - name: azure`,
      `    kind: azure-aci`,
      `    subscriptionId: ${ids.azure.subscriptionId}`,
      `    resourceGroup: ${ids.azure.resourceGroup}`,
      `    location: ${ids.azure.location}`,
      `    zones: [${ids.azure.zones.map((z) => `"${z}"`).join(', ')}]`,
      `    dnsNameLabel: { scope: TenantReuse }`,
      `    endpoint: ${standIn.url.https}`,
      `    accessToken: ${STAND_IN_CREDENTIAL}`,
      `    dataPlaneAddress: ${standIn.dataPlaneAddress}`,
      `    caFile: ${caFile}`,
      `    updateIntervalInMs: 500`,
    );
  }
  if (standIn.cloudRun) {
    lines.push(
      `  - name: gcp`,
      `    kind: gcp-cloud-run`,
      `    project: ${ids.gcp.project}`,
      `    region: ${ids.gcp.region}`,
      `    apiEndpoint: ${standIn.url.http}`,
      `    secretManagerEndpoint: ${standIn.url.http}`,
      `    accessToken: ${STAND_IN_CREDENTIAL}`,
      `    dataPlaneAddress: ${standIn.dataPlaneAddress}`,
      `    caFile: ${caFile}`,
      `    pollIntervalMs: 200`,
    );
  }
  return lines.join('\n');
}
