import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApiClient } from '../src/lib/api-client';
import { parseConsoleRoute } from '../src/lib/console-route';
import { Link } from './components';
import { AuditPage } from './pages/audit-page';
import { ProjectPage } from './pages/project-page';
import { ProjectsPage } from './pages/projects-page';
import { SignInPage } from './pages/sign-in-page';
import { readSessionKey, writeSessionKey } from './session-key';
import { ApiContext } from './use-api';

/** The API is this page's own origin: the console is served by the server it talks to. */
export const apiBaseUrl = '';

function useLocationPath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}

export function App() {
  const [key, setKey] = useState<string | null>(readSessionKey());
  const path = useLocationPath();
  const route = parseConsoleRoute(path);
  const api = useMemo(() => (key ? createApiClient({ baseUrl: apiBaseUrl, key }) : null), [key]);

  useEffect(() => {
    const main = document.getElementById('main');
    main?.focus();
  }, [path]);

  if (!api) {
    return (
      <SignInPage
        onSignedIn={(signedInKey) => {
          writeSessionKey(signedInKey);
          setKey(signedInKey);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Vector console</span>
        <nav aria-label="Main">
          <Link href="/console/projects" current={route.page === 'projects' || route.page === 'project'}>Projects</Link>
          <Link href="/console/audit" current={route.page === 'audit'}>Audit</Link>
        </nav>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            writeSessionKey(null);
            setKey(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'projects' ? <ProjectsPage /> : null}
        {route.page === 'audit' ? <AuditPage /> : null}
        {route.page === 'project' ? <ProjectPage projectId={route.projectId} tab={route.tab} /> : null}
        {route.page === 'not-found' ? (
          <section>
            <h1>Page not found</h1>
            <p>
              Nothing at <code>{route.path}</code>. <Link href="/console/projects">Back to projects</Link>
            </p>
          </section>
        ) : null}
      </main>
    </ApiContext.Provider>
  );
}
