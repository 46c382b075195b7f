// Hash routes (#/documents?status=FAILED), so every page is one URL the
// server serves as index.html, and links work without a server-side router.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string[];  // ["documents", "<id>"]
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).split('/').filter(Boolean).map(decodeURIComponent);
  return { path, params: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(path: string[], params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

export function navigate(path: string[], params: Record<string, string | number | undefined> = {}) {
  window.location.hash = href(path, params);
}
