import { useEffect, useState } from 'preact/hooks';
import { api, SearchHit } from './api';
import { Problem } from './components';
import { href, navigate, Route } from './router';

const MODES: { value: string; label: string; help: string }[] = [
  { value: 'hybrid', label: 'Hybrid', help: 'dense vectors and BM25 keywords, fused' },
  { value: 'vector', label: 'Vector', help: 'meaning only' },
  { value: 'keyword', label: 'Keyword', help: 'BM25 words only' },
];

function Snippet({ hit }: { hit: SearchHit }) {
  if (!hit.snippet) return <p class="snippet">{hit.text.slice(0, 300)}</p>;
  return <p class="snippet">{hit.snippet.map((s, i) => (s.hit ? <mark key={i}>{s.text}</mark> : s.text))}</p>;
}

export function SearchPage({ route }: { route: Route }) {
  const p = route.params;
  const q = p.get('q') ?? '';
  const mode = p.get('mode') ?? 'hybrid';
  const doc = p.get('doc') ?? '';
  const k = p.get('k') ?? '10';
  const [text, setText] = useState(q);
  const [docText, setDocText] = useState(doc);
  const [results, setResults] = useState<{ key: string; hits: SearchHit[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify([q, mode, doc, k]);
  useEffect(() => {
    setText(q);
    setDocText(doc);
    if (!q) return undefined;
    let live = true;
    setBusy(true);
    setError(null);
    api.search({ q, mode, doc, k }).then(
      (hits) => { if (live) { setResults({ key, hits }); setBusy(false); } },
      (e: unknown) => { if (live) { setError(e instanceof Error ? e.message : String(e)); setResults({ key, hits: [] }); setBusy(false); } });
    return () => { live = false; };
  }, [key]);
  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    navigate(['search'], { q: text.trim(), mode, doc: docText.trim(), k });
  };
  const setParam = (changes: Record<string, string>) => {
    setError(null);
    navigate(['search'], { q, mode, doc, k, ...changes });
  };
  const hits = results?.key === key ? results.hits : null;
  return (
    <div class="page" data-ready={!q || hits ? 'search' : undefined}>
      <h1>Search</h1>
      <form class="search-form" role="search" onSubmit={submit}>
        <div class="field grow">
          <label for="s-q">Query</label>
          <input id="s-q" type="search" value={text} required placeholder="What are you looking for?"
                 onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </div>
        <fieldset class="field modes">
          <legend>Mode</legend>
          {MODES.map((m) => (
            <label key={m.value} title={m.help}>
              <input type="radio" name="mode" value={m.value} checked={mode === m.value}
                     onChange={() => setParam({ mode: m.value })} /> {m.label}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="s-doc">Only document</label>
          <input id="s-doc" type="text" value={docText} placeholder="document id (optional)"
                 onInput={(e) => setDocText((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="s-k">Results</label>
          <select id="s-k" value={k} onChange={(e) => setParam({ k: (e.target as HTMLSelectElement).value })}>
            {['5', '10', '20', '50'].map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <Problem error={error} />
      {busy && <p class="summary" role="status">Searching…</p>}
      {hits && (
        <>
          <p class="summary" role="status">{hits.length === 0 ? 'No results.' : `${hits.length} results`}{doc ? ` in ${doc}` : ''}</p>
          {hits[0]?.dense_degraded && <p class="notice degraded" role="alert">{hits[0].dense_degraded}</p>}
          <ol class="results">
            {hits.map((h) => (
              <li key={h.chunk_id} class="result">
                <div class="result-head">
                  <a class="result-source" href={href(['documents', h.document_id])}>{h.source_key}</a>
                  <span class="result-pages">
                    <a href={href(['documents', h.document_id], { page: h.page_start })} aria-label={`Extracted text of page ${h.page_start} of ${h.source_key}`}>
                      {h.citation}
                    </a>
                  </span>
                  <span class="result-score" title="fused score">{h.score.toFixed(3)}</span>
                </div>
                {h.breadcrumbs.length > 0 && <div class="crumbs">{h.breadcrumbs.join(' › ')}</div>}
                <Snippet hit={h} />
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
