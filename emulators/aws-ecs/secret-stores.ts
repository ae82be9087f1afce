import { randomUUID } from 'node:crypto';
import { type Clock, type EmulatedResponse, RequestLog } from '../framework/index.js';

/**
 * The two stores ECS tasks read `secrets[].valueFrom` from, as far as skyfleet reads them: which
 * version of a secret or parameter is current, never a value. Both speak AWS JSON 1.1
 * (`POST /`, `X-Amz-Target`, errors as `{"__type", "message"}`):
 * - Secrets Manager DescribeSecret (`secretsmanager.DescribeSecret`, SecretId an ARN or a name):
 *   `VersionIdsToStages` maps each version id to its staging labels; the one labelled
 *   `AWSCURRENT` is what a task starting now reads
 *   (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html,
 *   https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version).
 *   An unknown secret is 400 ResourceNotFoundException "Secrets Manager can't find the specified
 *   secret.".
 * - Systems Manager DescribeParameters (`AmazonSSM.DescribeParameters`) with a `Name`/`Equals`
 *   filter: the parameter's metadata with its `Version`, a number that grows with every
 *   PutParameter (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeParameters.html,
 *   API_ParameterMetadata.html). An unknown name is an empty list, not an error.
 */
export class AwsSecretStores {
  readonly log = new RequestLog();
  private readonly secrets = new Map<string, { arn: string; name: string; stages: Map<string, string[]> }>();
  private readonly parameters = new Map<string, { version: number; modified: number }>();
  private denied = { n: 0, operation: undefined as string | undefined };

  constructor(
    private readonly clock: Clock,
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Creates a secret (its first version current); returns its ARN (with the random suffix AWS adds). */
  createSecret(
    name: string,
    arn = `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomUUID().slice(0, 6)}`,
  ): string {
    this.secrets.set(arn, { arn, name, stages: new Map([[randomUUID(), ['AWSCURRENT']]]) });
    return arn;
  }

  /** A rotation (PutSecretValue): a new version becomes AWSCURRENT, the old one AWSPREVIOUS. */
  rotateSecret(arn: string): string {
    const s = this.secrets.get(arn);
    if (!s) throw new Error(`no secret ${arn}`);
    for (const [id, stages] of s.stages) {
      const rest = stages.filter((l) => l !== 'AWSCURRENT' && l !== 'AWSPREVIOUS');
      if (stages.includes('AWSCURRENT')) s.stages.set(id, [...rest, 'AWSPREVIOUS']);
      else if (rest.length) s.stages.set(id, rest);
      else s.stages.delete(id);
    }
    const id = randomUUID();
    s.stages.set(id, ['AWSCURRENT']);
    return id;
  }

  /** The AWSCURRENT version id of a secret (for tests). */
  currentVersion(arn: string): string | undefined {
    const s = this.secrets.get(arn);
    return s && [...s.stages].find(([, l]) => l.includes('AWSCURRENT'))?.[0];
  }

  /** PutParameter: creates the parameter at version 1, or makes the next version. */
  putParameter(name: string): number {
    const p = this.parameters.get(name);
    const version = (p?.version ?? 0) + 1;
    this.parameters.set(name, { version, modified: this.clock.now() });
    return version;
  }

  /** The next `n` calls (of `operation` only, if given) answer 400 AccessDeniedException, as for a caller without the permission. */
  denyNext(n: number, operation?: 'DescribeSecret' | 'DescribeParameters'): void {
    this.denied = { n, operation };
  }

  handleSecretsManager(headers: Record<string, string>, body: unknown): EmulatedResponse {
    const op = this.operation(headers, 'secretsmanager.');
    const input = parse(body);
    if (op !== 'DescribeSecret') return this.answer(op, input, 400, error('UnknownOperationException', op));
    const denied = this.deny(op, input);
    if (denied) return denied;
    const id = typeof input.SecretId === 'string' ? input.SecretId : '';
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.name === id);
    if (!s)
      return this.answer(
        op,
        input,
        400,
        error('ResourceNotFoundException', "Secrets Manager can't find the specified secret."),
      );
    const created = Math.floor(this.clock.now() / 1000);
    return this.answer(op, input, 200, {
      ARN: s.arn,
      Name: s.name,
      LastChangedDate: created,
      CreatedDate: created,
      VersionIdsToStages: Object.fromEntries(s.stages),
    });
  }

  handleSsm(headers: Record<string, string>, body: unknown): EmulatedResponse {
    const op = this.operation(headers, 'AmazonSSM.');
    const input = parse(body);
    if (op !== 'DescribeParameters') return this.answer(op, input, 400, error('UnknownOperationException', op));
    const denied = this.deny(op, input);
    if (denied) return denied;
    const filters = Array.isArray(input.ParameterFilters) ? (input.ParameterFilters as Filter[]) : [];
    const names = filters.find((f) => f.Key === 'Name' && (f.Option ?? 'Equals') === 'Equals')?.Values ?? [];
    if (filters.some((f) => f.Key !== 'Name'))
      return this.answer(op, input, 400, error('InvalidFilterKey', 'The specified filter key is not valid.'));
    const found = names.flatMap((n) => {
      const p = this.parameters.get(n);
      return p
        ? [
            {
              Name: n,
              ARN: `arn:aws:ssm:${this.region}:${this.accountId}:parameter${n.startsWith('/') ? n : `/${n}`}`,
              Type: 'SecureString',
              LastModifiedDate: p.modified / 1000,
              Version: p.version,
              Tier: 'Standard',
              DataType: 'text',
            },
          ]
        : [];
    });
    return this.answer(op, input, 200, { Parameters: found });
  }

  private operation(headers: Record<string, string>, prefix: string): string {
    const target = headers['x-amz-target'] ?? '';
    return target.startsWith(prefix) ? target.slice(prefix.length) : target || '(none)';
  }

  private deny(op: string, input: Record<string, unknown>): EmulatedResponse | undefined {
    if (this.denied.n <= 0 || (this.denied.operation && this.denied.operation !== op)) return undefined;
    this.denied.n--;
    return this.answer(
      op,
      input,
      400,
      error(
        'AccessDeniedException',
        `User: arn:aws:iam::${this.accountId}:user/ci is not authorized to perform: ${op === 'DescribeSecret' ? 'secretsmanager:DescribeSecret' : 'ssm:DescribeParameters'}`,
      ),
    );
  }

  private answer(operation: string, input: unknown, status: number, payload: unknown): EmulatedResponse {
    this.log.add({
      time: this.clock.now(),
      operation,
      method: 'POST',
      path: '/',
      body: input,
      status,
      response: payload,
      write: false,
    });
    return {
      status,
      body: payload,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    };
  }
}

interface Filter {
  Key?: string;
  Option?: string;
  Values?: string[];
}

function parse(body: unknown): Record<string, unknown> {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return (body ?? {}) as Record<string, unknown>;
}

function error(code: string, message: string): { __type: string; message: string } {
  return { __type: code, message };
}
