import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

// Calls `load` when `deps` change (and every `refreshMs` when given); keeps
// the last good answer on screen while a refresh runs.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refreshMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A layout effect runs right after the render; a plain effect waits for the
  // next frame to be painted, which held every page's first request back by
  // some 60 ms (bench/dashboard's resource timings).
  useLayoutEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      });
  }, [...deps, tick]);
  useRefresh(refreshMs, reload);
  return { data, error, loading, reload };
}

// Calls `reload` every `refreshMs` (none when 0) while the page is visible.
function useRefresh(refreshMs: number, reload: () => void): void {
  useEffect(() => {
    if (!refreshMs) return undefined;
    const id = window.setInterval(() => {
      if (!document.hidden) reload();
    }, refreshMs);
    return () => window.clearInterval(id);
  }, [refreshMs, reload]);
}

// One page of a cursor-paged list: its items and the cursor of the next.
export interface PageOf<T> {
  items: T[];
  next: string | null;
}

export interface Paged<T> {
  items: T[] | null;  // every page loaded so far, in order
  error: string | null;
  more: boolean;      // another page follows the last one loaded
  loadingMore: boolean;
  loadMore: () => void;
  reload: () => void;  // the last page again: items added at the end appear
}

// A list the server pages by cursor, loaded a page at a time on demand
// (`loadMore`). A refresh (every `refreshMs` when given) asks for the last
// page again from its own cursor, so items appended since show up at the end
// and a page that has filled offers the next; earlier pages stay as loaded.
export function usePaged<T>(load: (cursor: string) => Promise<PageOf<T>>, deps: unknown[], refreshMs = 0): Paged<T> {
  const [pages, setPages] = useState<{ cursor: string; page: PageOf<T> }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const seq = useRef(0);
  const current = useRef(pages);
  current.current = pages;
  const loader = useRef(load);
  loader.current = load;

  // Page `index` from `cursor`; it replaces that page and any after it.
  const fetchAt = useCallback((index: number, cursor: string) => {
    const mine = seq.current;
    return loader.current(cursor).then(
      (page) => {
        if (mine !== seq.current) return;
        setPages((old) => {
          const next = (old ?? []).slice(0, index);
          if (next.length !== index) return old;  // an earlier page was replaced meanwhile
          next.push({ cursor, page });
          return next;
        });
        setError(null);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof Error ? e.message : String(e));
      });
  }, []);

  useLayoutEffect(() => {
    ++seq.current;
    setPages(null);
    setError(null);
    setLoadingMore(false);
    void fetchAt(0, '');
  }, deps);

  const reload = useCallback(() => {
    const p = current.current;
    if (!p || p.length === 0) {
      void fetchAt(0, '');
      return;
    }
    void fetchAt(p.length - 1, p[p.length - 1].cursor);
  }, [fetchAt]);

  const loadMore = useCallback(() => {
    const p = current.current;
    const last = p?.[p.length - 1];
    if (!p || !last?.page.next) return;
    setLoadingMore(true);
    void fetchAt(p.length, last.page.next).finally(() => setLoadingMore(false));
  }, [fetchAt]);

  useRefresh(refreshMs, reload);

  const items = pages ? pages.flatMap((p) => p.page.items) : null;
  const more = !!pages && pages.length > 0 && !!pages[pages.length - 1].page.next;
  return { items, error, more, loadingMore, loadMore, reload };
}
