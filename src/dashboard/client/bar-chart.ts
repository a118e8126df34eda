// A small SVG bar chart: one bar per bucket, empty buckets kept as gaps on the axis.
// Each bar carries its data (data-label, data-value, data-start) for people and tests.

export interface BarPoint {
  start: string;
  label: string;
  value: number | null;
  count: number;
}

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  parent?.appendChild(node);
  return node;
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderBars(container: HTMLElement, points: BarPoint[], options: { width: number; height: number; format: (v: number) => string }): void {
  const { width, height } = options;
  const margin = { top: 12, right: 12, bottom: 46, left: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const values = points.map((p) => p.value ?? 0);
  const top = niceMax(Math.max(0, ...values));
  const bottom = -niceMax(Math.max(0, ...values.map((v) => -v))) * (values.some((v) => v < 0) ? 1 : 0);
  const y = (v: number) => margin.top + ((top - v) / (top - bottom)) * plotH;
  const slot = plotW / Math.max(1, points.length);
  const barW = Math.max(1, slot * 0.8);

  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'bar chart' });
  const grid = el('g', { class: 'grid' }, svg);
  const axis = el('g', { class: 'axis' }, svg);
  for (let i = 0; i <= 4; i++) {
    const v = bottom + ((top - bottom) * i) / 4;
    el('line', { x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v) }, grid);
    el('text', { x: margin.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, axis).textContent = options.format(v);
  }
  const bars = el('g', { class: 'bars' }, svg);
  points.forEach((point, i) => {
    const value = point.value;
    const x = margin.left + i * slot + (slot - barW) / 2;
    const y0 = y(0);
    const y1 = value === null ? y0 : y(value);
    const rect = el(
      'rect',
      {
        class: `bar${value === null ? ' empty' : value < 0 ? ' negative' : ''}`,
        x,
        y: Math.min(y0, y1),
        width: barW,
        height: Math.abs(y1 - y0),
        'data-label': point.label,
        'data-start': point.start,
        'data-value': value === null ? '' : String(value),
        'data-count': point.count,
      },
      bars,
    );
    el('title', {}, rect).textContent = `${point.label}: ${value === null ? 'no data' : options.format(value)} (${point.count} rows)`;
  });
  const every = Math.max(1, Math.ceil(points.length / Math.max(1, Math.floor(plotW / 70))));
  points.forEach((point, i) => {
    if (i % every !== 0) return;
    const x = margin.left + i * slot + slot / 2;
    el('text', { x, y: height - margin.bottom + 16, 'text-anchor': 'middle' }, axis).textContent = point.label.slice(point.label.length > 10 ? 11 : 0, 16) || point.label;
    if (point.label.length > 10 && (i === 0 || point.label.slice(0, 10) !== points[i - every]?.label.slice(0, 10))) {
      el('text', { x, y: height - margin.bottom + 30, 'text-anchor': 'middle' }, axis).textContent = point.label.slice(0, 10);
    }
  });
  container.replaceChildren(svg);
}
