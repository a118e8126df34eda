// The dashboard page: controls → /api/series → bars, refreshed every few seconds.

import { renderBars, type BarPoint } from './bar-chart.js';

interface Series {
  agg: string;
  bucket: string;
  tz: string;
  points: BarPoint[];
}

interface Config {
  defaults: Record<string, string | undefined>;
  refreshSeconds: number;
}

const config = JSON.parse(document.getElementById('config')!.textContent!) as Config;
const form = document.getElementById('controls') as HTMLFormElement;
const status = document.getElementById('status')!;
const errorBox = document.getElementById('error')!;
const chart = document.getElementById('chart')!;
const title = document.getElementById('title')!;
const FIELDS = ['since', 'bucket', 'agg', 'board', 'sensor', 'tz'] as const;
let refreshes = 0;

function select(name: string): HTMLSelectElement {
  return form.elements.namedItem(name) as HTMLSelectElement;
}

function ensureOption(field: HTMLSelectElement, value: string, label = value): void {
  if (![...field.options].some((o) => o.value === value)) field.add(new Option(label, value));
}

function initialState(): Record<string, string> {
  const fromUrl = new URLSearchParams(location.search);
  const state: Record<string, string> = {};
  for (const name of FIELDS) state[name] = fromUrl.get(name) ?? config.defaults[name] ?? '';
  return state;
}

function applyState(state: Record<string, string>): void {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (local && local !== 'UTC') ensureOption(select('tz'), local, `${local} (this computer)`);
  for (const name of FIELDS) {
    const field = select(name);
    if (state[name]) ensureOption(field, state[name]!);
    field.value = state[name] ?? '';
  }
}

function currentQuery(): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of FIELDS) {
    const value = select(name).value;
    if (value) query.set(name, value);
  }
  return query;
}

const format = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

async function loadSources(): Promise<void> {
  const response = await fetch(`/api/sources?since=${encodeURIComponent(select('since').value || '30d')}`);
  if (!response.ok) return;
  const sources = (await response.json()) as Array<{ board: string; name?: string; sensor: string }>;
  for (const { board, name, sensor } of sources) {
    // Izuma stores a board by its 32-digit device ID; the name it gave itself reads better.
    ensureOption(select('board'), board, name ? `${name} (${board.slice(0, 8)}…)` : board);
    ensureOption(select('sensor'), sensor);
  }
}

async function load(): Promise<void> {
  const query = currentQuery();
  try {
    const response = await fetch(`/api/series?${query}`);
    const body = (await response.json()) as Series & { error?: string };
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    errorBox.hidden = true;
    const what = body.agg === 'count' ? 'COUNT(*)' : `${body.agg.toUpperCase()}(value)`;
    title.textContent = body.agg === 'sum' && body.bucket === 'hour' ? 'Hours with Button Presses' : `${what} per ${body.bucket}`;
    renderBars(chart, body.points, { width: Math.max(480, chart.clientWidth || 960), height: 420, format });
    refreshes++;
    status.dataset.refreshes = String(refreshes);
    const total = body.points.reduce((sum, p) => sum + p.count, 0);
    status.textContent = `${body.points.length} ${body.bucket}s · ${total} rows · ${body.tz} · updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    errorBox.textContent = `Could not load the data: ${(error as Error).message}`;
    errorBox.hidden = false;
  }
}

form.addEventListener('change', () => {
  history.replaceState(null, '', `?${currentQuery()}`);
  void load();
});

applyState(initialState());
void loadSources().then(() => applyState(initialState()));
void load();
setInterval(() => void load(), Math.max(1, config.refreshSeconds) * 1000);
