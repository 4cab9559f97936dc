// Timing helpers shared by every bench: statistics, and two runners that interleave the things compared, so
// that the load of a shared machine falls on all of them alike and their ratios stay meaningful.
//   timeWarm   many cheap synchronous calls (kernels): batched samples, round-robin between implementations.
//   interleave expensive calls (a forward pass, an explanation): one call per row per round, the order rotated
//              every round; wall time AND process CPU time (process.cpuUsage: user + system, all threads).

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Stat { median_us: number; min_us: number; n: number }
export type WarmStat = Stat & { callsPerSample: number; cpu_median_us: number; cpu_min_us: number };

/** CPU time of this process (user + system, every thread) in microseconds since `since`. */
export function cpuMicros(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

/**
 * Warm timings of several implementations of one cheap operation. After a warm-up, each sample times a batch
 * of calls (sized to ~5 ms); the samples of the implementations are interleaved round-robin.
 */
export function timeWarm<K extends string>(fns: Record<K, () => void>, quick: boolean): Record<K, WarmStat> {
  const samples = quick ? 3 : 21;
  const target = quick ? 0.5 : 5; // ms per sample
  const names = Object.keys(fns) as K[];
  const batch = {} as Record<K, number>;
  for (const name of names) {
    const fn = fns[name];
    const warmUntil = performance.now() + (quick ? 5 : 100);
    let calls = 0;
    do { fn(); calls++; } while (performance.now() < warmUntil || calls < 3);
    const t0 = performance.now();
    fn();
    batch[name] = Math.max(1, Math.min(10000, Math.round(target / Math.max(performance.now() - t0, 1e-3))));
  }
  const per = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const cpu = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let s = 0; s < samples; s++) {
    for (const name of names) {
      const fn = fns[name], m = batch[name];
      const c = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < m; i++) fn();
      per[name].push(((performance.now() - t) / m) * 1000);
      cpu[name].push(cpuMicros(c) / m);
    }
  }
  return Object.fromEntries(names.map((n) => [n, {
    median_us: median(per[n]), min_us: Math.min(...per[n]), n: samples, callsPerSample: batch[n],
    cpu_median_us: median(cpu[n]), cpu_min_us: Math.min(...cpu[n]),
  }])) as Record<K, WarmStat>;
}

/** Wall time of one call in microseconds. */
export function timeOnce(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) * 1000;
}

// ------------------------------------------------------------------------- interleaved expensive rows
/** One timed call: wall and CPU milliseconds. */
export interface Sample { wall: number; cpu: number }
export interface MsStat { median: number; min: number }
export interface RowStat {
  /** Per unit (e.g. per image, when the row's call handles `units` of them). */
  wall: MsStat; cpu: MsStat; n: number;
  /** The row's first call (not part of the statistics). */
  first: Sample;
  samples: Sample[];
}

/**
 * A row: a call to time (wall and this process's CPU are measured around it), or an external measurement
 * (e.g. a worker process that times itself and reports {wall, cpu}). `units` divides every sample (e.g. the
 * images one call explains), so rows of different batch sizes compare per image.
 */
export type Row =
  | { run: () => unknown; units?: number }
  | { measured: () => Promise<Sample>; units?: number };

export interface InterleaveOptions {
  rounds: number;
  /** Rounds run and discarded after each row's first call (default 1). */
  warmup?: number;
  /** Time each row's first call apart, out of the statistics (default true; a smoke run saves the call). */
  firstCallApart?: boolean;
  log?: (line: string) => void;
}

async function sampleOf(row: Row): Promise<Sample> {
  if ('measured' in row) return row.measured();
  const c = process.cpuUsage();
  const t = performance.now();
  await row.run();
  return { wall: performance.now() - t, cpu: cpuMicros(c) / 1000 };
}

const stat = (xs: number[]): MsStat => ({ median: median(xs), min: Math.min(...xs) });

/**
 * Times rows round-robin: every round runs each row once, in an order rotated by one each round (no row always
 * follows the same one). Returns median and min of wall and CPU time per unit over `rounds` rounds.
 */
export async function interleave<K extends string>(rows: Record<K, Row>, o: InterleaveOptions): Promise<Record<K, RowStat>> {
  const names = Object.keys(rows) as K[];
  const first = {} as Record<K, Sample>;
  const samples = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  if (o.firstCallApart ?? true) for (const n of names) first[n] = await sampleOf(rows[n]);
  const warmup = o.warmup ?? 1;
  for (let r = 0; r < warmup + o.rounds; r++) {
    const got = {} as Record<K, Sample>;
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length]!;
      got[n] = await sampleOf(rows[n]);
      first[n] ??= got[n];
      if (r >= warmup) samples[n].push(got[n]);
    }
    o.log?.(`  ${r < warmup ? 'warm-up' : `round ${r + 1 - warmup}/${o.rounds}`}: ` +
      names.map((n) => `${n} ${got[n].wall.toFixed(0)}`).join(', ') + ' ms (wall per call)');
  }
  return Object.fromEntries(names.map((n) => {
    const u = rows[n].units ?? 1;
    const ss = samples[n];
    return [n, {
      wall: stat(ss.map((s) => s.wall / u)), cpu: stat(ss.map((s) => s.cpu / u)), n: ss.length,
      first: first[n], samples: ss,
    }];
  })) as Record<K, RowStat>;
}
