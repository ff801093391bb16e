import { trendChartSvg } from '../../src/report/trend-chart';
import type { TrendDay } from '../../src/report/report-data';

function days(count: number, missing: number[] = []): TrendDay[] {
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10);
    return { day, snapshot: missing.includes(i) ? null : { images: 10 + i, compliant: 6 + i, nonCompliant: 3, unknown: 1 } };
  });
}

const count = (svg: string, re: RegExp) => svg.match(re)?.length ?? 0;

describe('trend chart', () => {
  test('one slot per day for 30 days, in order, with the counts of each', () => {
    const svg = trendChartSvg(days(30), 'lab');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('data-days="30"');
    const slots = [...svg.matchAll(/<g class="day[^"]*" data-day="([^"]+)"/g)].map((m) => m[1]);
    expect(slots).toHaveLength(30);
    expect(slots[0]).toBe('2026-10-01');
    expect(slots[29]).toBe('2026-10-30');
    expect(svg).toContain('data-day="2026-10-05" data-compliant="10" data-non-compliant="3" data-unknown="1"');
    // Three stacked series per day that has data.
    expect(count(svg, /<rect class="bar /g)).toBe(90);
  });

  test('a missing day is a gap: no bars, not a zero-height stack', () => {
    const svg = trendChartSvg(days(30, [3, 4, 17]), 'lab');
    const gaps = [...svg.matchAll(/<g class="day gap" data-day="([^"]+)">(.*?)<\/g>/g)];
    expect(gaps.map((g) => g[1])).toEqual(['2026-10-04', '2026-10-05', '2026-10-18']);
    for (const g of gaps) expect(g[2]).not.toContain('<rect');
    expect(count(svg, /<rect class="bar /g)).toBe(27 * 3);
    expect(svg).toContain('<title>2026-10-04: no snapshot</title>');
  });

  test('bars share one scale: the tallest stack reaches the top of the plot', () => {
    const svg = trendChartSvg([{ day: '2026-10-01', snapshot: { images: 100, compliant: 50, nonCompliant: 50, unknown: 0 } }], 'lab');
    const heights = [...svg.matchAll(/<rect class="bar [^"]+" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[2]));
    expect(heights).toHaveLength(2);
    expect(heights[0]).toBeCloseTo(heights[1]);
    // The plot is 196 units high: 260 minus the margins.
    expect(heights[0] + heights[1]).toBeCloseTo(196);
    expect(svg).toMatch(/>100<\/text>/);
  });

  test('caption text is escaped', () => {
    const svg = trendChartSvg(days(3), 'prod <script>alert("x")</script> & co');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('<title>prod &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>');
    expect(svg).toContain('aria-label="prod &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"');
  });

  test('an empty history draws 30 gaps and a unit scale', () => {
    const svg = trendChartSvg(days(30, Array.from({ length: 30 }, (_, i) => i)), 'lab');
    expect(count(svg, /class="day gap"/g)).toBe(30);
    expect(svg).not.toContain('NaN');
  });
});
