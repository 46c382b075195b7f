// The dashboard: one page application over `docpipe serve`'s JSON API.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, SessionInfo } from './api';
import { DocumentPage } from './document';
import { DocumentsPage } from './documents';
import { OverviewPage } from './overview';
import { href, useRoute } from './router';
import { SearchPage } from './search';
import { UploadPage } from './upload';

const NAV: { path: string; label: string }[] = [
  { path: 'overview', label: 'Overview' },
  { path: 'documents', label: 'Documents' },
  { path: 'search', label: 'Search' },
  { path: 'upload', label: 'Upload' },
];

function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.session().then(setSession, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const section = route.path[0] ?? 'overview';
  useEffect(() => {
    const label = NAV.find((n) => n.path === section)?.label ?? 'docpipe';
    document.title = `${label} · docpipe`;
    // Moves focus to the new page's heading, so screen readers and keyboard
    // users start there after a navigation.
    const h1 = document.querySelector('main h1') as HTMLElement | null;
    h1?.setAttribute('tabindex', '-1');
  }, [section, route.path[1]]);

  const logout = async () => {
    try {
      await api.logout();
    } finally {
      window.location.assign('/login');
    }
  };

  // Pages load their data beside the session call, not after it; only the
  // Upload page needs the session's answer (upload mode and limit) first.
  let page;
  if (error) page = <p class="problem" role="alert">{error}</p>;
  else if (section === 'upload' && !session) page = <p class="boot">Loading…</p>;
  else if (section === 'documents' && route.path[1]) page = <DocumentPage id={route.path[1]} route={route} />;
  else if (section === 'documents') page = <DocumentsPage route={route} />;
  else if (section === 'search') page = <SearchPage route={route} />;
  else if (section === 'upload') page = <UploadPage />;
  else page = <OverviewPage />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href={href(['overview'])}>docpipe</a>
        <nav aria-label="Sections">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={href([n.path])} aria-current={section === n.path ? 'page' : undefined}>{n.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="session">
          {session && <span class="hint">{session.backend}{session.auth ? '' : ' · no auth'}</span>}
          {session?.auth && <button type="button" class="secondary" onClick={logout}>Sign out</button>}
        </div>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
