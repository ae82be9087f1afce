import { SkyfleetError } from './skyfleet-error.js';

export interface NotReadyReplica {
  target: string;
  zone: string;
  replica: string;
  state: string;
  /** The last probe output or provider message for this replica. */
  message?: string;
}

/** Apply did not converge before its deadline; names the replicas that were not ready and why. */
export class ConvergeError extends SkyfleetError {
  readonly deployment: string;
  readonly notReady: readonly NotReadyReplica[];

  constructor(deployment: string, summary: string, notReady: readonly NotReadyReplica[], retryable = true) {
    const lines = notReady
      .slice(0, 20)
      .map((r) => `  - ${r.target}/${r.zone} ${r.replica}: ${r.state}${r.message ? ` (${r.message})` : ''}`);
    const more = notReady.length > 20 ? `\n  ... and ${notReady.length - 20} more` : '';
    super(
      'not_converged',
      `deployment ${deployment} did not converge: ${summary}${lines.length ? `\n${lines.join('\n')}` : ''}${more}`,
      {
        retryable,
      },
    );
    this.deployment = deployment;
    this.notReady = notReady;
  }
}
