/**
 * What Cloud Run stores is not what it was sent: it fills in defaults, and the read-back carries
 * them. A client that compared the read-back with what it sends would see drift on every pass.
 * The defaults filled in here, and where they are written down:
 * - `template.maxInstanceRequestConcurrency`: 80 when the revision requests a CPU or more, else 1
 *   (reference/gcp-cloud-run-v2/proto/revision_template.proto, max_instance_request_concurrency).
 * - `template.serviceAccount`: the project's default (compute) service account
 *   (revision_template.proto, service_account).
 * - `template.timeout`: 300 s, Cloud Run's request timeout by default.
 * - `containers[].resources`: limits of 1 CPU and 512 MiB, `cpuIdle` true
 *   (reference/gcp-cloud-run-v2/proto/k8s.min.proto, ResourceRequirements.cpu_idle).
 * - probes: `periodSeconds` 10, `timeoutSeconds` 1, `failureThreshold` 3, `httpGet.path` "/"
 *   (k8s.min.proto, Probe and HTTPGetAction).
 * - a container without a startup probe gets Cloud Run's default TCP startup probe on its port
 *   (240 s timeout and period, one failure), and the revision the system label
 *   `run.googleapis.com/startupProbeType: Default` (the label Terraform users learnt to ignore:
 *   GoogleCloudPlatform/cloud-foundation-fabric#1436).
 * The result is what the emulator stores and returns; normalising twice changes nothing.
 */
type Json = Record<string, unknown>;

/** A project's default compute service account (a made-up project number). */
export const DEFAULT_SERVICE_ACCOUNT = '123456789012-compute@developer.gserviceaccount.com';

export function normaliseSpec(spec: Json): Json {
  const template = spec.template as Json | undefined;
  if (!template) return spec;
  const given = (template.containers ?? []) as Json[];
  const containers = given.map(normaliseContainer);
  const cpu = containers.reduce((n, c) => n + cpuOf(((c.resources as Json).limits as Json).cpu), 0);
  const concurrency = Number(template.maxInstanceRequestConcurrency ?? 0);
  const labels = { ...((template.labels ?? {}) as Record<string, string>) };
  if (given.some((c) => !c.startupProbe)) labels['run.googleapis.com/startupProbeType'] ??= 'Default';
  return {
    ...spec,
    template: {
      ...template,
      labels,
      serviceAccount: template.serviceAccount || DEFAULT_SERVICE_ACCOUNT,
      timeout: template.timeout || '300s',
      maxInstanceRequestConcurrency: concurrency > 0 ? concurrency : cpu >= 1 ? 80 : 1,
      containers,
    },
  };
}

function normaliseContainer(c: Json): Json {
  const resources = { ...((c.resources ?? {}) as Json) };
  resources.limits = { cpu: '1000m', memory: '512Mi', ...((resources.limits ?? {}) as Json) };
  resources.cpuIdle ??= true;
  const out: Json = { ...c, resources };
  if (c.livenessProbe) out.livenessProbe = normaliseProbe(c.livenessProbe as Json);
  const port = ((c.ports ?? []) as Json[])[0]?.containerPort ?? 8080;
  out.startupProbe = c.startupProbe
    ? normaliseProbe(c.startupProbe as Json)
    : { tcpSocket: { port }, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 };
  return out;
}

function normaliseProbe(p: Json): Json {
  const out: Json = { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, ...p };
  if (p.httpGet) out.httpGet = { path: '/', ...(p.httpGet as Json) };
  return out;
}

/** Cloud Run cpu limits: "1", "2", "1000m", "500m". */
function cpuOf(v: unknown): number {
  const s = String(v ?? '1');
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}
