// What the numbers were measured on: cores, load, CPU pressure (Linux PSI), Node and tfjs versions. Recorded
// at the start and at the end of a run, since the machines here are shared with other work.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface Load {
  at: string;
  /** os.loadavg(): 1, 5 and 15 minute averages of runnable processes. */
  loadavg: [number, number, number];
  /** /proc/pressure/cpu "some" avg10/avg60 (% of time some task waited for a CPU), when the kernel has PSI. */
  cpuPressure: { avg10: number; avg60: number } | null;
}

export interface Machine {
  cpu: string; cores: number; platform: string; node: string; v8: string;
  tfjs: string; tfjsBackend: string; tfjsWasmSimd: boolean | null; tfjsWasmThreads: boolean | null;
  start: Load; end?: Load;
}

export function load(): Load {
  let cpuPressure: Load['cpuPressure'] = null;
  if (existsSync('/proc/pressure/cpu')) {
    const m = /some avg10=([\d.]+) avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (m) cpuPressure = { avg10: Number(m[1]), avg60: Number(m[2]) };
  }
  const l = os.loadavg().map((x) => Number(x.toFixed(2))) as Load['loadavg'];
  return { at: new Date().toISOString(), loadavg: l, cpuPressure };
}

async function flag(name: string): Promise<boolean | null> {
  try { return Boolean(await tf.env().getAsync(name)); } catch { return null; }
}

/** Call after the backend is set. */
export async function machine(): Promise<Machine> {
  const wasm = tf.getBackend() === 'wasm';
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, platform: `${process.platform} ${process.arch}`,
    node: process.version, v8: process.versions.v8, tfjs: tf.version.tfjs, tfjsBackend: tf.getBackend(),
    tfjsWasmSimd: wasm ? await flag('WASM_HAS_SIMD_SUPPORT') : null,
    tfjsWasmThreads: wasm ? await flag('WASM_HAS_MULTITHREAD_SUPPORT') : null,
    start: load(),
  };
}

export function describeLoad(l: Load): string {
  return `load ${l.loadavg.join('/')}` + (l.cpuPressure ? `, CPU pressure ${l.cpuPressure.avg10}% (avg10)` : '');
}

/** One Markdown line describing the machine and the load at start and end. */
export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}, tfjs ${m.tfjs} on '${m.tfjsBackend}'` +
    (m.tfjsWasmSimd != null ? ` (SIMD ${m.tfjsWasmSimd ? 'on' : 'off'}, threads ${m.tfjsWasmThreads ? 'on' : 'off'})` : '') +
    `. Start: ${describeLoad(m.start)}` + (m.end ? `; end: ${describeLoad(m.end)}` : '') + '.';
}
