import { escapeXml } from './escape-xml';
import type { StateCounts, TrendDay } from './report-data';

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { left: 48, right: 12, top: 28, bottom: 36 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** Bottom to top: the stack puts the problems on top, where the eye lands. */
const SERIES: { key: keyof Omit<StateCounts, 'images'>; label: string; color: string }[] = [
  { key: 'compliant', label: 'compliant', color: '#2e7d32' },
  { key: 'unknown', label: 'unknown', color: '#9e9e9e' },
  { key: 'nonCompliant', label: 'non-compliant', color: '#c62828' },
];

/**
 * The compliance trend as an inline SVG document fragment: one slot per day, the day's counts
 * stacked, and nothing drawn but a dashed baseline mark for a day without a snapshot (a gap is
 * not a day with zero images). Every piece of text is escaped here, because the report embeds
 * this string unescaped.
 */
export function trendChartSvg(days: readonly TrendDay[], caption: string): string {
  const slot = PLOT_W / Math.max(1, days.length);
  const bar = Math.max(1, slot * 0.7);
  const top = niceCeiling(Math.max(0, ...days.map((d) => d.snapshot?.images ?? 0)));
  const y = (value: number) => MARGIN.top + PLOT_H - (value / top) * PLOT_H;
  const parts: string[] = [];

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escapeXml(caption)}" class="trend-chart" data-days="${days.length}">`,
    `<title>${escapeXml(caption)}</title>`,
  );
  for (const tick of [0, top / 2, top]) {
    const ty = fmt(y(tick));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#ddd" stroke-width="1"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11" fill="#555">${escapeXml(formatCount(tick))}</text>`,
    );
  }
  days.forEach((d, i) => {
    const x = MARGIN.left + i * slot + (slot - bar) / 2;
    const s = d.snapshot;
    if (!s) {
      parts.push(
        `<g class="day gap" data-day="${escapeXml(d.day)}"><title>${escapeXml(`${d.day}: no snapshot`)}</title>` +
          `<line x1="${fmt(x)}" x2="${fmt(x + bar)}" y1="${fmt(y(0))}" y2="${fmt(y(0))}" stroke="#9e9e9e" stroke-width="2" stroke-dasharray="2 2"/></g>`,
      );
    } else {
      let base = 0;
      const rects = SERIES.map(({ key, label, color }) => {
        const value = s[key];
        const rect = value > 0 ? `<rect class="bar ${label}" x="${fmt(x)}" y="${fmt(y(base + value))}" width="${fmt(bar)}" height="${fmt(y(base) - y(base + value))}" fill="${color}"/>` : '';
        base += value;
        return rect;
      }).join('');
      const tip = `${d.day}: ${s.compliant} compliant, ${s.nonCompliant} non-compliant, ${s.unknown} unknown of ${s.images}`;
      parts.push(
        `<g class="day" data-day="${escapeXml(d.day)}" data-compliant="${s.compliant}" data-non-compliant="${s.nonCompliant}" data-unknown="${s.unknown}"><title>${escapeXml(tip)}</title>${rects}</g>`,
      );
    }
    // Every fifth day and the last one are labelled: thirty dates do not fit a phone's width.
    if (i % 5 === 0 || i === days.length - 1) {
      parts.push(
        `<text x="${fmt(MARGIN.left + i * slot + slot / 2)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(d.day.slice(5))}</text>`,
      );
    }
  });
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fmt(y(0))}" y2="${fmt(y(0))}" stroke="#555" stroke-width="1"/>`);
  let lx = MARGIN.left;
  for (const { label, color } of SERIES) {
    parts.push(
      `<rect x="${lx}" y="8" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 14}" y="17" font-size="11" fill="#333">${escapeXml(label)}</text>`,
    );
    lx += 24 + label.length * 7;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The smallest 1, 2 or 5 × 10^n at or above `value`, so the axis reads in round numbers. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}
