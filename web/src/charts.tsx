// Charts as SVG drawn from server-computed figures (no chart library: the
// shapes are simple, and the CSP allows no inline styles).

export interface Bar {
  label: string;   // x-axis label (time or stage)
  value: number;
  title?: string;  // tooltip and accessible text
}

export function BarChart({ bars, unit, height = 140, caption }: { bars: Bar[]; unit: string; height?: number; caption: string }) {
  const width = 600;
  const pad = { left: 44, right: 8, top: 8, bottom: 22 };
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const w = (width - pad.left - pad.right) / Math.max(1, bars.length);
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const ticks = [0, max / 2, max];
  const every = Math.max(1, Math.ceil(bars.length / 6));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={caption} preserveAspectRatio="none">
        {ticks.map((t) => (
          <g key={t}>
            <line class="grid" x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} />
            <text class="axis" x={pad.left - 4} y={y(t) + 4} text-anchor="end">{fmtTick(t)}</text>
          </g>
        ))}
        {bars.map((b, i) => (
          <rect class="bar" x={pad.left + i * w + w * 0.1} width={Math.max(1, w * 0.8)} y={y(b.value)}
                height={Math.max(0, height - pad.bottom - y(b.value))}>
            <title>{b.title ?? `${b.label}: ${b.value} ${unit}`}</title>
          </rect>
        ))}
        {bars.map((b, i) => (i % every === 0 ? (
          <text class="axis" x={pad.left + i * w + w / 2} y={height - 6} text-anchor="middle">{b.label}</text>
        ) : null))}
      </svg>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return Math.round(v).toString();
  if (v >= 10) return v.toFixed(0);
  return v.toFixed(v >= 1 ? 1 : 2);
}

// Horizontal bars for p50/p95 per stage.
export function DurationBars({ rows }: { rows: { stage: string; p50: number; p95: number; count: number }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.p95));
  return (
    <table class="durations">
      <caption class="visually-hidden">Stage durations today, p50 and p95</caption>
      <thead><tr><th scope="col">Stage</th><th scope="col">Runs</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col" class="bars-col"><span class="visually-hidden">Bars</span></th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.stage}>
            <th scope="row">{r.stage}</th>
            <td class="num">{r.count}</td>
            <td class="num">{fmtMs(r.p50)}</td>
            <td class="num">{fmtMs(r.p95)}</td>
            <td class="bars-col">
              <svg viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true" class="hbar">
                <rect class="p95" x="0" y="2" height="8" width={(100 * r.p95) / max} />
                <rect class="p50" x="0" y="2" height="8" width={(100 * r.p50) / max} />
              </svg>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function fmtMs(v: number): string {
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}
