import { useState } from 'preact/hooks';
import { api } from './api';
import { BarChart, DurationBars } from './charts';
import { Problem, Section, Tile } from './components';
import { ago, dollars, ms, num, STATUS_LABEL } from './format';
import { useLoad } from './hooks';
import { href } from './router';

const STATUSES = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SUPERSEDED'];

export function OverviewPage() {
  const overview = useLoad(() => api.overview(), [], 10_000);
  const [span, setSpan] = useState<'hour' | 'day'>('hour');
  const throughput = useLoad(() => api.throughput(span), [span], 30_000);
  const o = overview.data;
  const t = throughput.data;
  return (
    <div class="page" data-ready={o && t ? 'overview' : undefined}>
      <h1>Overview</h1>
      <Problem error={overview.error} />
      {o && (
        <>
          <Section title="Documents">
            <div class="tiles">
              {STATUSES.map((s) => (
                <a class={`tile tile-link status-tile status-${s.toLowerCase()}`} href={href(['documents'], { status: s })} key={s}>
                  <span class="tile-label">{STATUS_LABEL[s]}</span>
                  <span class="tile-value">{num(o.documents[s] ?? 0)}</span>
                </a>
              ))}
              <Tile label="All documents" value={num(o.total_documents)} note="latest version of each" />
            </div>
          </Section>

          <Section title="Throughput" actions={
            <div class="segmented" role="group" aria-label="Time window">
              {(['hour', 'day'] as const).map((w) => (
                <button type="button" aria-pressed={span === w} onClick={() => setSpan(w)} key={w}>
                  Last {w}
                </button>
              ))}
            </div>}>
            <Problem error={throughput.error} />
            {t && (
              <>
                <p class="summary">
                  {num(t.documents)} documents and {num(t.pages)} pages completed in the last {t.window}
                  {' '}({num(t.documents / Math.max(1, (new Date(t.until).getTime() - new Date(t.since).getTime()) / 60000), 2)} documents
                  {' '}and {num(t.pages / Math.max(1, (new Date(t.until).getTime() - new Date(t.since).getTime()) / 60000), 1)} pages per minute on average).
                </p>
                <div class="charts">
                  <BarChart caption={`Documents per minute, ${t.bucket_minutes}-minute buckets`} unit="documents/min"
                            bars={t.buckets.map((b) => ({ label: b.start.slice(11, 16), value: b.documents_per_minute,
                                                          title: `${b.start.slice(11, 16)}: ${num(b.documents)} documents (${num(b.documents_per_minute, 2)}/min)` }))} />
                  <BarChart caption={`Pages per minute, ${t.bucket_minutes}-minute buckets`} unit="pages/min"
                            bars={t.buckets.map((b) => ({ label: b.start.slice(11, 16), value: b.pages_per_minute,
                                                          title: `${b.start.slice(11, 16)}: ${num(b.pages)} pages (${num(b.pages_per_minute, 1)}/min)` }))} />
                </div>
              </>
            )}
          </Section>

          <div class="grid-2">
            <Section title="Backlog">
              <div class="tiles">
                <Tile label="Queued" value={num(o.backlog.visible)} note={o.backlog.delayed ? `${num(o.backlog.delayed)} delayed` : undefined} />
                <Tile label="In flight" value={num(o.backlog.in_flight)} />
                <Tile label="Dead letters" value={num(o.backlog.dead_letters)} tone={o.backlog.dead_letters > 0 ? 'bad' : undefined} />
                <Tile label="Oldest waiting" value={o.backlog.oldest_age_ms === null ? 'none' : ms(o.backlog.oldest_age_ms)}
                      note={o.backlog.oldest_source || undefined} />
              </div>
            </Section>
            <Section title="Cost so far">
              <div class="tiles">
                <Tile label="Embedding tokens" value={num(o.cost.tokens)} />
                <Tile label="Estimated cost" value={dollars(o.cost.cost_usd)} />
                <Tile label="Comprehend calls" value={num(o.cost.comprehend_calls)} />
                <Tile label="Pages / chunks" value={`${num(o.cost.pages)} / ${num(o.cost.chunks)}`} />
              </div>
            </Section>
          </div>

          <div class="grid-2">
            <Section title="Stage durations (today)">
              {o.stage_order.length === 0 ? <p class="empty">No stage ran today.</p> : (
                <DurationBars rows={o.stage_order.map((s) => ({ stage: s, p50: o.stages[s].p50_ms, p95: o.stages[s].p95_ms, count: o.stages[s].count }))} />
              )}
            </Section>
            <Section title="Errors by stage">
              <table>
                <caption class="visually-hidden">Failed documents and stage failures by stage</caption>
                <thead><tr><th scope="col">Stage</th><th scope="col">Failed documents</th><th scope="col">Failed attempts (24 h)</th></tr></thead>
                <tbody>
                  {errorStages(o.errors).map((s) => (
                    <tr key={s}>
                      <th scope="row">{s || '(registration)'}</th>
                      <td class="num">
                        {o.errors.failed_by_stage[s] ? <a href={href(['documents'], { status: 'FAILED', stage: s })}>{num(o.errors.failed_by_stage[s])}</a> : '0'}
                      </td>
                      <td class="num">{num(o.errors.stage_failures_last_day[s] ?? 0)}</td>
                    </tr>
                  ))}
                  {errorStages(o.errors).length === 0 && <tr><td colSpan={3} class="empty">No errors.</td></tr>}
                </tbody>
              </table>
            </Section>
          </div>

          <Section title="Workers">
            {o.workers.length === 0 ? <p class="empty">No worker has sent a heartbeat in the last day.</p> : (
              <table>
                <caption class="visually-hidden">Workers and their last heartbeat</caption>
                <thead><tr><th scope="col">Worker</th><th scope="col">Last heartbeat</th><th scope="col">Busy / threads</th><th scope="col">Processed</th><th scope="col">State</th></tr></thead>
                <tbody>
                  {o.workers.map((w) => (
                    <tr key={w.worker_id}>
                      <th scope="row"><code>{w.worker_id}</code></th>
                      <td>{ago(w.last_heartbeat, new Date(o.now).getTime())}</td>
                      <td class="num">{w.busy} / {w.threads}</td>
                      <td class="num">{num(w.processed)}</td>
                      <td><span class={`badge ${w.alive ? 'status-completed' : 'status-superseded'}`}>{w.alive ? 'alive' : 'silent'}</span></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
    </div>
  );
}

function errorStages(e: { failed_by_stage: Record<string, number>; stage_failures_last_day: Record<string, number> }): string[] {
  return [...new Set([...Object.keys(e.failed_by_stage), ...Object.keys(e.stage_failures_last_day)])].sort();
}
