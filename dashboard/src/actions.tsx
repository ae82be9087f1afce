import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type DeploymentRecord, type RevisionRecord, type RolloutState, type Role, type Target } from './api';
import { short } from './state';

export const mayAct = (role: Role | undefined) => role === 'deployer' || role === 'admin';

type Action =
  | { kind: 'promote' | 'pause' | 'resume' | 'abort' }
  | { kind: 'undo' }
  | { kind: 'scale'; replicas: number }
  | { kind: 'migrate'; to: string[] };

interface Props {
  record: DeploymentRecord;
  rollout: RolloutState | undefined;
  history: RevisionRecord[];
  targets: Target[];
  onDone: (message: string) => void;
}

/** What an action will do, in the words the confirmation shows. */
function consequence(a: Action, p: Props): string {
  const name = p.record.name;
  const r = p.rollout;
  switch (a.kind) {
    case 'promote':
      return r?.strategy === 'BlueGreen'
        ? `Promote ${name}: traffic switches from the active revision ${short(r.stable ?? '-')} to the preview ${short(r.canary)}.`
        : `Promote ${name}: the canary revision ${short(r?.canary ?? p.record.revision)} skips its remaining steps and takes all traffic.`;
    case 'pause':
      return `Pause the rollout of ${name}: it stays at its current step until resumed.`;
    case 'resume':
      return `Resume the rollout of ${name}: it goes on from its current step.`;
    case 'abort':
      return `Abort the rollout of ${name}: all traffic goes back to the stable revision ${short(r?.stable ?? '-')} and the new revision's replicas are removed.`;
    case 'undo': {
      const prev = [...p.history].sort((x, y) => y.number - x.number)[1];
      return prev
        ? `Roll ${name} back to revision #${prev.number} (${short(prev.revision)}): a new rollout of that template.`
        : `Roll ${name} back to its previous revision (the API refuses if there is none).`;
    }
    case 'scale':
      return `Scale ${name} from ${p.record.spec.spec.replicas} to ${a.replicas} replica${a.replicas === 1 ? '' : 's'}.`;
    case 'migrate':
      return `Move every replica of ${name} to ${a.to.join(', ')}, starting the new ones before the old ones stop.`;
  }
}

async function run(a: Action, name: string): Promise<string> {
  switch (a.kind) {
    case 'promote':
    case 'pause':
    case 'resume':
    case 'abort': {
      const st = await api.rolloutAction(name, a.kind);
      return `${a.kind}: rollout ${st.phase.toLowerCase()}${st.message ? ` (${st.message})` : ''}`;
    }
    case 'undo':
      await api.undo(name);
      return 'undo: rolling back';
    case 'scale':
      await api.scale(name, a.replicas);
      return `scale: ${a.replicas} replicas wanted`;
    case 'migrate':
      await api.migrate(name, a.to);
      return `migrate: moving to ${a.to.join(', ')}`;
  }
}

/** The action buttons of a deployment, each opening a confirmation that says what will happen. */
export function Actions(p: Props) {
  const [pending, setPending] = useState<Action>();
  const [replicas, setReplicas] = useState(p.record.spec.spec.replicas);
  const [to, setTo] = useState<string[]>([]);
  const r = p.rollout;
  const progressing = r && (r.phase === 'Progressing' || r.phase === 'Paused');
  return (
    <section class="actions" aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      <div class="buttons">
        {progressing && (
          <>
            <button type="button" onClick={() => setPending({ kind: 'promote' })}>
              Promote
            </button>
            {r.phase === 'Paused' ? (
              <button type="button" onClick={() => setPending({ kind: 'resume' })}>
                Resume
              </button>
            ) : (
              <button type="button" onClick={() => setPending({ kind: 'pause' })}>
                Pause
              </button>
            )}
            <button type="button" class="danger" onClick={() => setPending({ kind: 'abort' })}>
              Abort
            </button>
          </>
        )}
        <button type="button" onClick={() => setPending({ kind: 'undo' })}>
          Undo
        </button>
      </div>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setPending({ kind: 'scale', replicas });
        }}
      >
        <label>
          Replicas{' '}
          <input
            type="number"
            min={0}
            value={replicas}
            onInput={(e) => setReplicas(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <button type="submit">Scale</button>
      </form>
      {p.targets.length > 1 && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (to.length) setPending({ kind: 'migrate', to });
          }}
        >
          <fieldset>
            <legend>Migrate to</legend>
            {p.targets.map((t) => (
              <label key={t.target} class="check">
                <input
                  type="checkbox"
                  checked={to.includes(t.target)}
                  onChange={(e) =>
                    setTo((cur) =>
                      (e.target as HTMLInputElement).checked ? [...cur, t.target] : cur.filter((x) => x !== t.target),
                    )
                  }
                />{' '}
                {t.target}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={!to.length}>
            Migrate
          </button>
        </form>
      )}
      {pending && (
        <Confirm
          title={`${pending.kind[0]!.toUpperCase()}${pending.kind.slice(1)} ${p.record.name}?`}
          text={consequence(pending, p)}
          confirm={pending.kind[0]!.toUpperCase() + pending.kind.slice(1)}
          onCancel={() => setPending(undefined)}
          onConfirm={async () => {
            const a = pending;
            try {
              p.onDone(await run(a, p.record.name));
              setPending(undefined);
            } catch (e) {
              setPending(undefined);
              p.onDone(`${a.kind} refused: ${(e as Error).message}`);
            }
          }}
        />
      )}
    </section>
  );
}

/** A modal dialog (the browser's <dialog>: focus kept inside, Escape cancels). */
function Confirm(props: {
  title: string;
  text: string;
  confirm: string;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <p id="confirm-text">{props.text}</p>
      <div class="buttons">
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await props.onConfirm();
          }}
        >
          {props.confirm}
        </button>
      </div>
    </dialog>
  );
}
