import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Session } from './api';
import { DeploymentPage } from './deployment-page';
import { DeploymentList } from './deployments';
import { FleetMap } from './fleet-map';
import { useWatch } from './live';
import './styles.css';

type Route = { page: 'map' } | { page: 'list' } | { page: 'deployment'; name: string };

/** Hash routes (#/, #/deployments, #/deployments/NAME): the server serves one page at `/`. */
function parse(hash: string): Route {
  const m = /^#\/deployments\/([^/]+)$/.exec(hash);
  if (m) return { page: 'deployment', name: decodeURIComponent(m[1]!) };
  if (hash === '#/deployments') return { page: 'list' };
  return { page: 'map' };
}

export function App() {
  const [session, setSession] = useState<Session | null>();
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', on);
    api
      .session()
      .then(setSession)
      .catch(() => setSession(null));
    return () => window.removeEventListener('hashchange', on);
  }, []);
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null) return <Login onLogin={setSession} />;
  return <Signed session={session} route={route} onLogout={() => setSession(null)} />;
}

function Signed({ session, route, onLogout }: { session: Session; route: Route; onLogout: () => void }) {
  const [refresh, setRefresh] = useState(0);
  const [fleet, setFleet] = useState<string>();
  useEffect(() => {
    api
      .fleet()
      .then((f) => setFleet(f.name))
      .catch(() => undefined);
  }, []);
  const streams =
    route.page === 'deployment'
      ? [
          `/api/v1/deployments?watch=1&name=${encodeURIComponent(route.name)}`,
          `/api/v1/events?watch=1&deployment=${encodeURIComponent(route.name)}`,
        ]
      : ['/api/v1/deployments?watch=1', '/api/v1/events?watch=1'];
  const link = useWatch(streams, () => setRefresh((x) => x + 1));
  useEffect(() => {
    const title = route.page === 'deployment' ? route.name : route.page === 'list' ? 'Deployments' : 'Fleet map';
    document.title = `${title} · skyfleet`;
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">skyfleet{fleet ? ` · ${fleet}` : ''}</span>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'map' ? 'page' : undefined}>
            Fleet map
          </a>
          <a href="#/deployments" aria-current={route.page !== 'map' ? 'page' : undefined}>
            Deployments
          </a>
        </nav>
        <span class={`link link-${link}`} role="status" data-link={link}>
          <span aria-hidden="true">{link === 'live' ? '◉' : '◌'}</span> {link === 'live' ? 'live' : link}
        </span>
        <span class="who" data-role={session.role}>
          {session.name} ({session.role})
        </span>
        <button
          type="button"
          onClick={async () => {
            await api.logout().catch(() => undefined);
            onLogout();
          }}
        >
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'map' && <FleetMap refresh={refresh} />}
        {route.page === 'list' && <DeploymentList refresh={refresh} />}
        {route.page === 'deployment' && <DeploymentPage name={route.name} role={session.role} refresh={refresh} />}
      </main>
    </>
  );
}

function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <h1>skyfleet</h1>
      {/* method post: even without its script, the form never puts the token in a URL */}
      <form
        method="post"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const input = form.elements.namedItem('token') as HTMLInputElement;
          setBusy(true);
          setError(undefined);
          try {
            const s = await api.login(input.value.trim());
            input.value = '';
            onLogin(s);
          } catch (x) {
            setError(x instanceof ApiError && x.status === 401 ? `Not logged in: ${x.message}` : (x as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required spellcheck={false} />
        <p class="hint">
          A token from <code>skyfleet token create</code>. It is sent once to start a session and not kept by the page.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
