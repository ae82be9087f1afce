import { Command, Option } from 'commander';
import type { GlobalOptions } from './config.js';

const VERSION = '0.1.0';

/** The commander program. Command modules are imported only when their command runs. */
export function buildProgram(): Command {
  const program = new Command('skyfleet')
    .description(
      'Declarative containers across clouds: place, run, heal and roll out replicas over AWS ECS, Azure ACI, Google Cloud Run and Docker.',
    )
    .version(VERSION)
    .option('--config <file>', 'fleet config (default: $SKYFLEET_CONFIG, ./skyfleet.yaml, or a Fleet document in -f)')
    .option('--store <path>', 'state store (default: $SKYFLEET_STORE, the fleet store.path, .skyfleet/state.db)')
    .option('--call-log <file>', 'append every cloud API request to FILE as JSON lines (also $SKYFLEET_CALL_LOG)')
    .option('--server <url>', 'act through a skyfleet server (also $SKYFLEET_SERVER), e.g. https://127.0.0.1:7443')
    .option('--token <token>', 'bearer token for --server (also $SKYFLEET_TOKEN)')
    .option('--ca <file>', 'PEM certificate to trust for an https --server (also $SKYFLEET_CA)')
    .option(
      '--context <name>',
      'act through a server context of the contexts file (also $SKYFLEET_CONTEXT; default: its current one)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .hook('preAction', async (_program, action) =>
      (await import('./flag-checks.js')).checkFlags(action.name(), action.opts()),
    );

  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const cmds = () => import('./commands.js');

  program
    .command('apply')
    .description('create or update the deployments in FILE and wait until they are ready')
    .requiredOption(
      '-f, --filename <file>',
      'YAML file with Deployment (and optionally Fleet) documents, a Kubernetes manifest or a Compose file; - for standard input',
    )
    .option('--timeout <duration>', 'how long to wait for readiness (default: spec.progressDeadlineSeconds)')
    .option('--no-wait', 'return after the first step instead of waiting until ready')
    .option('--strict', 'a Kubernetes or Compose file: refuse it if converting it warns about anything')
    .action(async (cmd) => (await cmds()).applyCommand({ ...g(), strict: cmd.strict === true }, cmd));

  program
    .command('plan')
    .description('show what apply would change and why, changing nothing')
    .requiredOption('-f, --filename <file>', 'YAML file with Deployment documents; - for standard input')
    .option('--strict', 'a Kubernetes or Compose file: refuse it if converting it warns about anything')
    .action(async (cmd) => (await cmds()).planCommand({ ...g(), strict: cmd.strict === true }, cmd));

  program
    .command('get')
    .description('list deployments (default) or events')
    .argument('[what]', 'deployments | events')
    .option('--deployment <name>', 'events of one deployment')
    .option('--limit <n>', 'most events to show', '50')
    .option('-w, --watch', 'then follow changes as they happen (through --server)')
    .action(async (what, cmd) => (await cmds()).getCommand(g(), what, cmd));

  program
    .command('describe')
    .description('show a deployment in detail: domains, replicas, endpoints, history, events')
    .argument('<kind>', 'deployment')
    .argument('<name>')
    .action(async (kind, name) => (await cmds()).describeCommand(g(), kind, name));

  program
    .command('scale')
    .description('change the replica count of an applied deployment')
    .argument('<name>')
    .requiredOption('--replicas <n>', 'desired replicas')
    .option('--timeout <duration>', 'how long to wait for readiness')
    .option('--no-wait', 'return after the first step')
    .action(async (name, cmd) => (await cmds()).scaleCommand(g(), name, cmd));

  program
    .command('delete')
    .description('remove deployments and everything they run')
    .argument('[names...]')
    .option('-f, --filename <file>', 'delete the deployments defined in FILE (- for standard input)')
    .option('--strict', 'a Kubernetes or Compose file: refuse it if converting it warns about anything')
    .action(async (names, cmd) => (await cmds()).deleteCommand({ ...g(), strict: cmd.strict === true }, names, cmd));

  program
    .command('convert')
    .description(
      'print the skyfleet YAML of a Kubernetes manifest or Compose file (what it cannot carry over: warnings)',
    )
    .requiredOption(
      '-f, --filename <file>',
      'Kubernetes YAML (Deployment, Service, HorizontalPodAutoscaler, List) or Compose file; - for standard input',
    )
    .option('--strict', 'any warning is an error (exit 2)')
    .action(async (cmd) => (await import('./convert-command.js')).convertCommand(g(), cmd));

  program
    .command('rollout')
    .description(
      'progressive rollouts: status [-w] | promote | pause | resume | abort | undo [--to-revision N] | history',
    )
    .argument('<action>', 'status, promote, pause, resume, abort, undo or history')
    .argument('<name>', 'deployment')
    .option('--to-revision <n>', 'undo: the revision number to go back to (default: the previous one)')
    .option('--timeout <duration>', 'undo: how long to wait for readiness; status -w: how long to follow')
    .option('--no-wait', 'undo: return after the first step')
    .option(
      '-w, --watch',
      'status: follow each change until the rollout completes (exit 0) or is aborted (exit 1); through --server on its watch feed',
    )
    .action(async (action, name, cmd) => (await cmds()).rolloutCommand(g(), action, name, cmd));

  program
    .command('migrate')
    .description(
      'move a deployment to other targets without dropping a request (undone on its own if the destination fails)',
    )
    .argument('<name>', 'deployment')
    .requiredOption('--to <targets>', 'destination target(s), comma-separated')
    .option('--from <targets>', 'source target(s) to leave (default: all current ones)')
    .option('--timeout <duration>', 'how long the destination may take to become ready')
    .action(async (name, cmd) => (await cmds()).migrateCommand(g(), name, cmd));

  program
    .command('export')
    .description("export a deployment's endpoints and weights for another data plane: nginx")
    .argument('<format>', 'nginx')
    .argument('<name>', 'deployment')
    .action(async (what, name) => (await cmds()).exportCommand(g(), what, name));

  program
    .command('controller')
    .description('keep every applied deployment converged: self-healing, drift repair, failover (one leader per fleet)')
    .option(
      '--metrics-address <host:port>',
      'serve Prometheus metrics at /metrics ("off" to disable)',
      '127.0.0.1:9464',
    )
    .option('--lease-ttl <duration>', 'lease time to live: a standby takes over within this', '15s')
    .option('--resync <duration>', 'full resync interval', '30s')
    .option('--identity <name>', 'this controller in the lease (default: host-pid-random)')
    .option('--outage-after <duration>', 'how long a zone must keep failing before its replicas fail over', '20s')
    .option('--outage-cooldown <duration>', 'how long a failed zone rests before replicas return to it', '30s')
    .action(async (cmd) => (await cmds()).controllerCommand(g(), cmd));

  program
    .command('schema')
    .description('print the JSON Schema of Fleet and Deployment documents')
    .argument('[kind]', 'Fleet | Deployment')
    .action(async (kind) => (await cmds()).schemaCommand(g(), kind));

  const srv = () => import('./server-commands.js');
  const server = program
    .command('server')
    .description('the controller and the HTTP API in one process')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:7443')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--rate-limit <n>', 'requests per second per token', '100')
    .option('--metrics-address <host:port>', 'serve Prometheus metrics at /metrics ("off" to disable)', 'off')
    .option('--lease-ttl <duration>', 'lease time to live', '15s')
    .option('--resync <duration>', 'full resync interval', '30s')
    .action(async (cmd) => (await srv()).serverCommand(g(), cmd));
  server
    .command('cert')
    .description('make a self-signed certificate and key for local use (openssl)')
    .option('--out <dir>', 'directory to write tls.crt and tls.key to', '.skyfleet/tls')
    .option('--host <name>', 'host name or IP the certificate is for', '127.0.0.1')
    .option('--days <n>', 'validity in days', '365')
    .action(async (cmd) => (await srv()).serverCertCommand(cmd));

  const emulate = program
    .command('emulate')
    .description(
      'local stand-ins of AWS ECS, Azure Container Instances and Google Cloud Run on 127.0.0.1 (not the clouds), replicas as local containers',
    )
    .option('--aws', 'serve ECS (default: all three)')
    .option('--azure', 'serve ARM/ACI')
    .option('--gcp', 'serve Cloud Run and its data plane')
    .option('--listen <host:port>', 'where the APIs listen (HTTP and TLS on one port)', '127.0.0.1:4566')
    .option(
      '--data-plane-port <port>',
      "the data plane's port (TLS: Cloud Run's *.a.run.app, ACI groups' *.azurecontainer.io)",
      '4567',
    )
    .option(
      '--consistency-lag <duration>',
      "how long lists (and ECS describes) show what was there before a write, as the clouds' eventually consistent reads do (0: always current)",
      '1s',
    )
    .option('--state-dir <dir>', "where the stand-in's certificate and targets.yaml go", '.skyfleet/emulate')
    .option('--replicas <how>', 'docker (containers on the local engine) or none (state only)', 'docker')
    .action(async (cmd) => (await import('./emulate-command.js')).emulateCommand(cmd));
  emulate
    .command('outage')
    .description(
      'a zone (ECS us-east-1a, ACI eastus-1) or Cloud Run region of a running stand-in goes down (--up: back)',
    )
    .argument('<zone>')
    .option('--up', 'end the outage')
    // --listen (the stand-in's address) is emulate's own option, which commander gives the parent
    .action(async (zone, cmd, command) =>
      (await import('./emulate-command.js')).emulateOutageCommand(zone, {
        ...cmd,
        listen: (command.parent!.opts() as { listen: string }).listen,
      }),
    );
  emulate
    .command('throttle')
    .description("a share of a running stand-in's API calls (0.3: 30%) gets each cloud's throttling error; 0 ends it")
    .argument('<share>')
    .action(async (share, cmd, command) =>
      (await import('./emulate-command.js')).emulateThrottleCommand(share, {
        ...cmd,
        listen: (command.parent!.opts() as { listen: string }).listen,
      }),
    );
  emulate
    .command('pull-failure')
    .description(
      'pulls of IMAGE fail in a running stand-in: ECS tasks stop with CannotPullContainerError, ACI containers wait with "Failed to pull image" events, Cloud Run revisions never get ready (--off: they work again)',
    )
    .argument('<image>')
    .option('--off', 'pulls of IMAGE work again')
    .action(async (image, cmd, command) =>
      (await import('./emulate-command.js')).emulatePullFailureCommand(image, {
        ...cmd,
        listen: (command.parent!.opts() as { listen: string }).listen,
      }),
    );

  emulate
    .command('secret')
    .description(
      "a new value of secret NAME in a running stand-in: aws (Secrets Manager; prints the ARN for a target's secrets map) or gcp (Secret Manager: a new version); the next apply rolls it out",
    )
    .argument('<cloud>', 'aws | gcp')
    .argument('<name>')
    .action(async (cloud, name, cmd, command) =>
      (await import('./emulate-command.js')).emulateSecretCommand(cloud, name, {
        ...cmd,
        listen: (command.parent!.opts() as { listen: string }).listen,
      }),
    );

  const token = program.command('token').description('API bearer tokens: create | list | revoke');
  token
    .command('create')
    .description('create a token (printed once, alone on the last line)')
    .requiredOption('--role <role>', 'viewer | deployer | admin')
    .option('--ttl <duration>', 'lifetime, e.g. 24h (default: no expiry)')
    .option('--name <name>', 'a name for lists and the audit')
    .action(async (cmd) => (await srv()).tokenCreateCommand(g(), cmd));
  token
    .command('list')
    .description('list tokens (never their values)')
    .action(async () => (await srv()).tokenListCommand(g()));
  token
    .command('revoke')
    .description('revoke a token by id or name')
    .argument('<id>')
    .action(async (id) => (await srv()).tokenRevokeCommand(g(), id));
  program
    .command('audit')
    .description('mutating API requests: who, what, when, from where, result (admin)')
    .option('--limit <n>', 'most records', '100')
    .action(async (cmd) => (await srv()).auditCommand(g(), cmd));

  const ctx = () => import('./context-commands.js');
  const context = program
    .command('context')
    .description(
      'named servers to act through, like kubeconfig contexts: add | use | list | current | delete (file: $SKYFLEET_CONTEXTS or ~/.skyfleet/contexts.yaml)',
    );
  context
    .command('add')
    .description('add a context: skyfleet context add NAME --server URL [--token T | --token-file FILE] [--ca FILE]')
    .argument('<name>')
    .option('--token-file <file>', 'a file holding the token, read each time (instead of --token)')
    .action(async (name, cmd) => (await ctx()).contextAddCommand(g(), name, cmd));
  context
    .command('use')
    .description('make a context the current one: commands go to its server')
    .argument('<name>')
    .action(async (name) => (await ctx()).contextUseCommand(name));
  context
    .command('list')
    .description('list contexts, the current one marked (tokens are never shown)')
    .action(async () => (await ctx()).contextListCommand(g()));
  context
    .command('current')
    .description('print the current context')
    .action(async () => (await ctx()).contextCurrentCommand());
  context
    .command('delete')
    .description('delete a context')
    .argument('<name>')
    .action(async (name) => (await ctx()).contextDeleteCommand(name));

  const sync = () => import('./sync-commands.js');
  const syncCmd = program
    .command('sync')
    .description('continuous deployment from git: register a source and sync it now (the controller keeps it synced)')
    .option('--repo <path-or-url>', 'the git repository: a local path or a URL')
    .option('--branch <name>', 'the branch to follow', 'main')
    .option('--path <dir>', 'the folder of the repository whose specs are applied', '.')
    .option('--interval <duration>', 'how often the controller checks the branch', '30s')
    .option('--prune', 'delete deployments of this source whose files are gone (default: report them as orphaned)')
    .option('--name <name>', 'the source name (default: from the repository)')
    .option('--webhook-secret-file <file>', 'shared secret for the webhook (HMAC), read from FILE or - for stdin')
    .action(async (cmd) => (await sync()).syncCommand(g(), cmd));
  syncCmd
    .command('list')
    .description('list git sources: last synced commit, last check, last error')
    .action(async () => (await sync()).syncListCommand(g()));
  syncCmd
    .command('status')
    .description('last commits, last error (file and field), and drift from git: what the next sync reverts')
    .argument('[name]')
    .action(async (name) => (await sync()).syncStatusCommand(g(), name));
  syncCmd
    .command('now')
    .description('sync a source now (a head check, and a read of the commit only if it moved)')
    .argument('<name>')
    .action(async (name) => (await sync()).syncNowCommand(g(), name));
  syncCmd
    .command('delete')
    .description('stop syncing a source (its deployments keep running)')
    .argument('<name>')
    .action(async (name) => (await sync()).syncDeleteCommand(g(), name));

  const calls = program.command('calls').description('the cloud API call log (--call-log, $SKYFLEET_CALL_LOG)');
  calls
    .command('summarize')
    .description('per cloud and target: calls by operation, writes vs reads, errors, retries, time')
    .argument('<file>', 'a call log (JSON lines)')
    .action(async (file) => (await import('./calls-command.js')).callsSummarizeCommand(g(), file));

  return program;
}
