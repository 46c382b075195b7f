import { useLayoutEffect, useState } from 'preact/hooks';
import { api, AuditEvent, auditPath, Chunk, chunksPath, ControlRecord, pagesPath, prefetch } from './api';
import { Problem, Section, StatusBadge } from './components';
import { bytes, ms, num, STAGES, when } from './format';
import { useLoad, usePaged } from './hooks';
import { href, navigate, Route } from './router';

interface Attempt {
  start: number;
  end: number;
  outcome: 'completed' | 'failed' | 'running';
  error?: string;
  worker: string;
}

// Each stage's attempts, from the audit trail of the shown version:
// STAGE_STARTED opens one, STAGE_COMPLETED or STAGE_FAILED closes it.
function attempts(events: AuditEvent[], version: string, now: number): Map<string, Attempt[]> {
  const out = new Map<string, Attempt[]>();
  for (const e of events) {
    if (e.processing_version !== version || !e.stage) continue;
    const t = new Date(e.time).getTime();
    const list = out.get(e.stage) ?? [];
    if (e.event_type === 'STAGE_STARTED') {
      list.push({ start: t, end: now, outcome: 'running', worker: e.worker_id });
    } else if (e.event_type === 'STAGE_COMPLETED' || e.event_type === 'STAGE_FAILED') {
      let open = [...list].reverse().find((a) => a.outcome === 'running');
      if (!open) {
        open = { start: t - (e.duration_ms || 0), end: t, outcome: 'running', worker: e.worker_id };
        list.push(open);
      }
      open.end = t;
      open.outcome = e.event_type === 'STAGE_COMPLETED' ? 'completed' : 'failed';
      if (e.error) open.error = e.error;
    }
    out.set(e.stage, list);
  }
  return out;
}

function Timeline({ record, events }: { record: ControlRecord; events: AuditEvent[] }) {
  const now = Date.now();
  const byStage = attempts(events, record.processing_version, now);
  const all = [...byStage.values()].flat();
  if (all.length === 0) return <p class="empty">No stage has started yet.</p>;
  const t0 = Math.min(...all.map((a) => a.start));
  const t1 = Math.max(...all.map((a) => a.end), t0 + 1);
  const x = (t: number) => (100 * (t - t0)) / (t1 - t0);
  const stages = [...STAGES.filter((s) => byStage.has(s) || record.stage_status[s]), ...[...byStage.keys()].filter((s) => !STAGES.includes(s))];
  return (
    <div class="timeline" role="list" aria-label="Stage timeline">
      {stages.map((stage) => {
        const list = byStage.get(stage) ?? [];
        const st = record.stage_status[stage];
        const label = `${stage}: ${st?.status?.toLowerCase() ?? 'pending'}, ${list.length} attempt${list.length === 1 ? '' : 's'}` +
          (st?.duration_ms ? `, ${ms(st.duration_ms)}` : '');
        return (
          <div class="timeline-row" role="listitem" key={stage} aria-label={label}>
            <div class="timeline-stage">{stage}</div>
            <svg class="timeline-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
              {list.map((a, i) => (
                <rect key={i} class={`attempt ${a.outcome}`} x={x(a.start)} y="1" height="8"
                      width={Math.max(0.6, x(a.end) - x(a.start))}>
                  <title>{`attempt ${i + 1}: ${a.outcome}, ${ms(a.end - a.start)}${a.error ? ` — ${a.error}` : ''}`}</title>
                </rect>
              ))}
            </svg>
            <div class="timeline-figures">
              {list.length} × {st?.duration_ms ? ms(st.duration_ms) : list.length ? ms(list[list.length - 1].end - list[list.length - 1].start) : '–'}
            </div>
          </div>
        );
      })}
      <div class="timeline-axis" aria-hidden="true"><span>{when(new Date(t0).toISOString())}</span><span>+{ms(t1 - t0)}</span></div>
    </div>
  );
}

function Pages({ id, count, initial }: { id: string; count: number; initial: number }) {
  const [page, setPage] = useState(Math.min(Math.max(1, initial), Math.max(1, count)));
  const text = useLoad(() => api.pages(id, page), [id, page]);
  return (
    <div>
      <div class="pager">
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>{page > 1 ? `← Page ${page - 1}` : "← Previous page"}</button>
        <label for="page-no">Page</label>
        <input id="page-no" type="number" min={1} max={count} value={page}
               onChange={(e) => { const v = Number((e.target as HTMLInputElement).value); if (v >= 1 && v <= count) setPage(v); }} />
        <span>of {count}</span>
        <button type="button" disabled={page >= count} onClick={() => setPage(page + 1)}>{page < count ? `Page ${page + 1} →` : "Next page →"}</button>
      </div>
      <Problem error={text.error} />
      {text.data && <pre class="page-text" tabIndex={0} aria-label={`Extracted text of page ${page}`} data-page={page}>{text.data.markdown || '(no text on this page)'}</pre>}
    </div>
  );
}

// Page sizes; the URL can set others (`chunks_per_page`, `events_per_page`:
// the browser test pages through a small document with them).
const CHUNKS_PER_PAGE = 20;
const EVENTS_PER_PAGE = 100;

function perPage(route: Route, name: string, fallback: number, max: number): number {
  const v = Number(route.params.get(name) ?? '');
  return Number.isInteger(v) && v >= 1 && v <= max ? v : fallback;
}

function Chunks({ id, count, limit }: { id: string; count: number; limit: number }) {
  const [info, setInfo] = useState<{ total: number | null; enriched: boolean; language: string } | null>(null);
  const chunks = usePaged<Chunk>(async (cursor) => {
    const page = await api.chunks(id, cursor, limit);
    if (!cursor) setInfo({ total: page.total, enriched: page.enriched, language: page.language });
    return { items: page.chunks, next: page.next_cursor };
  }, [id, limit]);
  const list = chunks.items;
  const total = info?.total ?? count;
  return (
    <div>
      <Problem error={chunks.error} />
      {list && (
        <>
          <p class="summary" data-shown={list.length}>Chunks 1–{num(list.length)} of {num(total)}
            {info?.enriched ? `; language ${info.language || 'unknown'}` : '; not enriched'}</p>
          <ol class="chunks">
            {list.map((ch) => (
              <li key={ch.chunk_id} class="chunk" data-chunk-id={ch.chunk_id}>
                <div class="crumbs" aria-label="Breadcrumbs">{ch.breadcrumbs.length ? ch.breadcrumbs.join(' › ') : '(no heading)'}</div>
                <div class="chunk-meta">{ch.citation} · {ch.type}{ch.language ? ` · ${ch.language}` : ''}</div>
                <p class="chunk-text">{ch.text}</p>
                {(ch.entities.length > 0 || ch.key_phrases.length > 0 || ch.pii.length > 0) && (
                  <ul class="chips" aria-label="Entities and key phrases">
                    {ch.entities.map((e, i) => <li key={`e${i}`} class="chip entity"><span class="chip-type">{e.type}</span> {e.text}</li>)}
                    {ch.key_phrases.slice(0, 6).map((k, i) => <li key={`k${i}`} class="chip phrase">{k}</li>)}
                    {ch.pii.map((p, i) => <li key={`p${i}`} class="chip pii">PII: {p}</li>)}
                  </ul>
                )}
              </li>
            ))}
          </ol>
          {chunks.more && (
            <div class="pager">
              <button type="button" class="more-chunks" disabled={chunks.loadingMore} onClick={chunks.loadMore}>
                {chunks.loadingMore ? 'Loading…' : `Show ${num(limit)} more chunks`}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function AuditTrail({ events, more, loadingMore, loadMore }:
                    { events: AuditEvent[]; more: boolean; loadingMore: boolean; loadMore: () => void }) {
  return (
    <>
      <div class="table-wrap">
        <table class="audit" data-shown={events.length}>
          <caption class="visually-hidden">Audit events, oldest first</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Version</th><th scope="col">Event</th><th scope="col">Stage</th><th scope="col">Duration</th><th scope="col">Worker</th><th scope="col">Error</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.event_id} data-event-id={e.event_id}>
                <td>{when(e.time)}</td><td>{e.processing_version}</td><td>{e.event_type}</td>
                <td>{e.stage || '–'}</td><td class="num">{e.duration_ms ? ms(e.duration_ms) : ''}</td>
                <td><code>{e.worker_id}</code></td><td class="error-text">{e.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && (
        <div class="pager">
          <button type="button" class="more-events" disabled={loadingMore} onClick={loadMore}>
            {loadingMore ? 'Loading…' : 'Show later events'}
          </button>
        </div>
      )}
    </>
  );
}

export function DocumentPage({ id, route }: { id: string; route: Route }) {
  const initialPage = Number(route.params.get('page') ?? '1');
  // The first page of text and of chunks load beside the record, not after it.
  const chunkLimit = perPage(route, 'chunks_per_page', CHUNKS_PER_PAGE, 200);
  const eventLimit = perPage(route, 'events_per_page', EVENTS_PER_PAGE, 1000);
  useLayoutEffect(() => {
    prefetch(pagesPath(id, Math.max(1, initialPage)));
    prefetch(chunksPath(id, '', chunkLimit));
    prefetch(auditPath(id, '', eventLimit));
  }, [id]);
  const doc = useLoad(() => api.document(id), [id], 5_000);
  // The timeline and the trail show the events loaded so far; the last page
  // is asked for again with the record, so new events appear.
  const audit = usePaged<AuditEvent>(async (cursor) => {
    const page = await api.audit(id, cursor, eventLimit);
    return { items: page.events, next: page.next_cursor };
  }, [id, eventLimit], 5_000);
  const [retrying, setRetrying] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const r = doc.data;
  const retry = async () => {
    setRetrying(true);
    setMessage(null);
    try {
      await api.retry(id);
      setMessage('Requeued: the failed stage runs again.');
      doc.reload();
      audit.reload();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    } finally {
      setRetrying(false);
    }
  };
  return (
    <div class="page" data-ready={r && audit.items ? 'document' : undefined}>
      <p class="breadcrumb"><a href={href(['documents'])}>Documents</a> › {id}</p>
      <Problem error={doc.error} />
      {r && (
        <>
          <h1 class="doc-title">{r.source_key} <StatusBadge status={r.status} /></h1>
          <dl class="facts">
            <div><dt>Document</dt><dd><code>{r.document_id}</code></dd></div>
            <div><dt>Version</dt><dd>{r.processing_version}</dd></div>
            <div><dt>Size</dt><dd>{bytes(r.source_size)}</dd></div>
            <div><dt>Pages</dt><dd>{num(r.page_count)}</dd></div>
            <div><dt>Chunks</dt><dd>{num(r.chunk_count)}</dd></div>
            <div><dt>Retries</dt><dd>{r.retry_count} of {r.max_retries}</dd></div>
            <div><dt>Registered</dt><dd>{when(r.created_at)}</dd></div>
            <div><dt>Updated</dt><dd>{when(r.updated_at)}</dd></div>
          </dl>
          {(r.status === 'FAILED' || r.last_error) && (
            <div class={`error-box${r.status === 'FAILED' ? '' : ' past'}`} role={r.status === 'FAILED' ? 'alert' : undefined}>
              <h2>{r.status === 'FAILED' ? `Failed in stage ${r.error_stage || '(registration)'}` : `Last error (stage ${r.error_stage || '–'})`}</h2>
              <p class="error-text">{r.last_error}</p>
              {r.status === 'FAILED' && (
                <button type="button" onClick={retry} disabled={retrying}>{retrying ? 'Requeueing…' : 'Retry'}</button>
              )}
            </div>
          )}
          {message && <p class="notice" role="status">{message}</p>}
          <Section title="Timeline" id="timeline">
            {audit.items ? <Timeline record={r} events={audit.items} /> : <Problem error={audit.error} />}
          </Section>
          <Section title="Audit trail" id="audit">
            <Problem error={audit.error} />
            {audit.items && <AuditTrail events={audit.items} more={audit.more} loadingMore={audit.loadingMore}
                                        loadMore={audit.loadMore} />}
          </Section>
          {r.page_count > 0 && (
            <Section title="Extracted pages" id="pages">
              <Pages id={id} count={r.page_count} initial={initialPage} />
            </Section>
          )}
          {r.chunk_count > 0 && (
            <Section title="Chunks" id="chunks">
              <Chunks id={id} count={r.chunk_count} limit={chunkLimit} />
            </Section>
          )}
          <p><button type="button" class="secondary" onClick={() => navigate(['search'], { doc: id })}>Search in this document</button></p>
        </>
      )}
    </div>
  );
}
