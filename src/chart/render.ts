// The series as a bar chart for the terminal: one line per bucket, the bar's length
// proportional to the value, empty buckets shown as empty bars.

import type { Series } from '../db/series.js';
import { printable } from '../ui/printable.js';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export interface RenderOptions {
  /** Terminal columns. */
  width: number;
  paint?: { bar: (s: string) => string; negative: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string };
}

const AGG_TITLE = { sum: 'SUM', avg: 'AVG', min: 'MIN', max: 'MAX', count: 'COUNT' } as const;

export function chartTitle(series: Series): string {
  const what = series.agg === 'count' ? 'COUNT(*)' : `${AGG_TITLE[series.agg]}(value)`;
  // Device IDs and names are the devices' own text: shown escaped, never acted on.
  const ids = series.boardIds ?? [];
  const named = ids.length > 5 ? `${ids.length} devices: ${ids.slice(0, 3).map(printable).join(', ')}, …` : ids.map(printable).join(', ');
  const board = series.board && (ids.length ? `board ${printable(series.board)} (${named})` : `board ${printable(series.board)}`);
  const filters = [board, series.sensor && `sensor ${printable(series.sensor)}`].filter(Boolean);
  return `${what} per ${series.bucket} (${series.tz})${filters.length ? ` · ${filters.join(' · ')}` : ''}`;
}

export function formatValue(value: number | null): string {
  if (value === null) return '–';
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

export function renderChart(series: Series, options: RenderOptions): string {
  const paint = options.paint ?? { bar: id, negative: id, dim: id, bold: id };
  const labelWidth = Math.max(0, ...series.points.map((p) => p.label.length));
  const values = series.points.map((p) => formatValue(p.value));
  const valueWidth = Math.max(1, ...values.map((v) => v.length));
  const barWidth = Math.max(10, options.width - labelWidth - valueWidth - 4);
  const largest = Math.max(0, ...series.points.map((p) => Math.abs(p.value ?? 0)));
  const lines = [paint.bold(chartTitle(series))];
  series.points.forEach((point, i) => {
    const eighths = largest === 0 || point.value === null ? 0 : Math.round((Math.abs(point.value) / largest) * barWidth * 8);
    const bar = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
    const painted = point.value !== null && point.value < 0 ? paint.negative(bar) : paint.bar(bar);
    const value = point.value === null ? paint.dim(values[i]!.padStart(valueWidth)) : values[i]!.padStart(valueWidth);
    lines.push(`${point.label.padEnd(labelWidth)} │${painted}${' '.repeat(barWidth - [...bar].length)} ${value}`);
  });
  if (series.points.length === 0) lines.push(paint.dim('(no buckets in that range)'));
  const total = series.points.reduce((sum, p) => sum + p.count, 0);
  lines.push(paint.dim(`${series.points.length} ${series.bucket}s, ${total} rows · ${series.since} → ${series.until}`));
  return lines.join('\n');
}

export function seriesCsv(series: Series): string {
  const rows = series.points.map((p) => [p.start, p.end, csvText(p.label), p.value ?? '', p.count].join(','));
  return ['start,end,label,value,count', ...rows].join('\n');
}

function csvText(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function id(s: string): string {
  return s;
}
