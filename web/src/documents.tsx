import { useState } from 'preact/hooks';
import { api } from './api';
import { Problem, StatusBadge } from './components';
import { num, STAGES, STATUS_LABEL, when } from './format';
import { useLoad } from './hooks';
import { href, navigate, Route } from './router';

const COLUMNS: { key: string; label: string; sortable: boolean; numeric?: boolean }[] = [
  { key: 'source_key', label: 'Source', sortable: true },
  { key: 'status', label: 'Status', sortable: true },
  { key: 'stage', label: 'Stage', sortable: false },
  { key: 'pages', label: 'Pages', sortable: true, numeric: true },
  { key: 'chunks', label: 'Chunks', sortable: false, numeric: true },
  { key: 'created_at', label: 'Registered', sortable: true },
  { key: 'updated_at', label: 'Updated', sortable: true },
];

const PAGE_SIZE = 50;

export function DocumentsPage({ route }: { route: Route }) {
  const p = route.params;
  const status = p.get('status') ?? '';
  const stage = p.get('stage') ?? '';
  const q = p.get('q') ?? '';
  const sort = p.get('sort') ?? 'updated_at';
  const order = p.get('order') ?? 'desc';
  const cursor = p.get('cursor') ?? '';
  // The cursors of the pages before this one ("Previous" pops one).
  const back = (p.get('back') ?? '').split(',').filter(Boolean);
  const [text, setText] = useState(q);
  const list = useLoad(() => api.documents({ status, stage, q, sort, order, cursor, limit: PAGE_SIZE }),
                       [status, stage, q, sort, order, cursor], 15_000);
  const params = { status, stage, q, sort, order };
  const go = (changes: Record<string, string>) => navigate(['documents'], { ...params, ...changes });
  const first = back.length * PAGE_SIZE + 1;
  const data = list.data;

  return (
    <div class="page" data-ready={data ? 'documents' : undefined}>
      <h1>Documents</h1>
      <form class="filters" role="search" aria-label="Filter documents" onSubmit={(e) => { e.preventDefault(); go({ q: text }); }}>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={status} onChange={(e) => go({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {Object.entries(STATUS_LABEL).map(([k, v]) => <option value={k} key={k}>{v}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-stage">Stage</label>
          <select id="f-stage" value={stage} onChange={(e) => go({ stage: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {STAGES.map((s) => <option value={s} key={s}>{s}</option>)}
          </select>
        </div>
        <div class="field grow">
          <label for="f-q">Source contains</label>
          <input id="f-q" type="search" value={text} placeholder="e.g. manuals/ or .pdf"
                 onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit">Filter</button>
        {(status || stage || q) && <button type="button" class="secondary" onClick={() => { setText(''); navigate(['documents']); }}>Clear</button>}
      </form>
      <Problem error={list.error} />
      {data && (
        <>
          <p class="summary" aria-live="polite">
            {data.total === 0 ? 'No documents match.' :
              `Documents ${num(first)}–${num(first + data.documents.length - 1)} of ${num(data.total)}`}
          </p>
          <div class="table-wrap">
            <table class="documents">
              <caption class="visually-hidden">Documents, sorted by {sort} {order === 'desc' ? 'descending' : 'ascending'}</caption>
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th scope="col" key={c.key} class={c.numeric ? 'num' : undefined}
                        aria-sort={sort === c.key ? (order === 'desc' ? 'descending' : 'ascending') : undefined}>
                      {c.sortable ? (
                        <button type="button" class="sort" onClick={() => go({ sort: c.key, order: sort === c.key && order === 'desc' ? 'asc' : 'desc' })}>
                          {c.label}{sort === c.key ? (order === 'desc' ? ' ▼' : ' ▲') : ''}
                        </button>
                      ) : c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.documents.map((d) => (
                  <tr key={d.document_id}>
                    <td class="source"><a href={href(['documents', d.document_id])}>{d.source_key}</a></td>
                    <td><StatusBadge status={d.status} /></td>
                    <td>{d.status === 'FAILED' ? d.error_stage || '–' : d.current_stage || '–'}</td>
                    <td class="num">{num(d.page_count)}</td>
                    <td class="num">{num(d.chunk_count)}</td>
                    <td>{when(d.created_at)}</td>
                    <td>{when(d.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages of documents">
            <button type="button" disabled={back.length === 0}
                    onClick={() => go({ cursor: back[back.length - 1] === '-' ? '' : back[back.length - 1], back: back.slice(0, -1).join(',') })}>
              ← Previous
            </button>
            <button type="button" disabled={!data.next_cursor}
                    onClick={() => go({ cursor: data.next_cursor ?? '', back: [...back, cursor || '-'].join(',') })}>
              Next →
            </button>
          </nav>
        </>
      )}
    </div>
  );
}
