import type { ComponentChildren } from 'preact';
import { STATUS_LABEL } from './format';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function Problem({ error }: { error: string | null }) {
  if (!error) return null;
  return <p class="problem" role="alert">{error}</p>;
}

export function Tile({ label, value, note, tone }: { label: string; value: ComponentChildren; note?: string; tone?: string }) {
  return (
    <div class={`tile${tone ? ` tone-${tone}` : ''}`}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {note && <div class="tile-note">{note}</div>}
    </div>
  );
}

export function Section({ title, id, children, actions }: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section class="card" id={id} aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
