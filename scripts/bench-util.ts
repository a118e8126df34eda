// The bench's output line and statistics, shared by its groups.

/** `extra`: what the figure needs said beside it (the commit a saved report measured). */
export function emit(bench: string, value: number, unit: 'ms' | 'bytes' | 'ratio', baseline: number | null = null, extra: Record<string, unknown> = {}): void {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const line = { bench, value: round(value), unit, baseline: baseline === null ? null : round(baseline), ratio: baseline ? round(value / baseline) : null, ...extra };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
