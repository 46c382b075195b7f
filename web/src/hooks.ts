import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

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
  useEffect(() => {
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
  useEffect(() => {
    if (!refreshMs) return undefined;
    const id = window.setInterval(() => {
      if (!document.hidden) reload();
    }, refreshMs);
    return () => window.clearInterval(id);
  }, [refreshMs, reload]);
  return { data, error, loading, reload };
}
