// The peer (pytorch-grad-cam) as a long-lived python process answering "run one" requests over stdin/stdout
// (bench/peer/pgc_worker.py), so its calls can be interleaved with ours round by round. Optional: present
// only when PGC_DIR points to a pytorch-grad-cam checkout and python3 has torch, torchvision and cv2.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Sample } from './timing.js';
import { ROOT } from './output.js';

const WORKER = path.join(ROOT, 'bench', 'peer', 'pgc_worker.py');
/** One thread for the peer (torch.set_num_threads(1) in the worker, and the OpenMP / BLAS pools). */
const ONE_THREAD = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

let python = 'python3';

/**
 * Why the peer cannot run here, or null when it can. The interpreter: $PYTHON, else Debian's /usr/bin/python3
 * (where python3-torch installs), else python3 on the PATH: the first that imports torch, torchvision and cv2.
 */
export function peerUnavailable(): string | null {
  const dir = process.env.PGC_DIR;
  if (!dir) return 'PGC_DIR is not set (a pytorch-grad-cam checkout)';
  if (!existsSync(path.join(dir, 'pytorch_grad_cam'))) return `PGC_DIR=${dir} holds no pytorch_grad_cam/`;
  const candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  let last = '';
  for (const p of candidates) {
    const r = spawnSync(p, ['-c', 'import torch, torchvision, cv2'], { encoding: 'utf8' });
    if (r.status === 0) { python = p; return null; }
    last = `${p}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  }
  return `no python3 imports torch, torchvision and cv2 (${last})`;
}

export interface Peer {
  info: Record<string, unknown>;
  run(what: 'gradcam++' | 'forward' | 'scorecam', batch: number): Promise<Sample>;
  close(): Promise<void>;
}

export async function startPeer(): Promise<Peer> {
  const child: ChildProcessWithoutNullStreams = spawn(python, [WORKER], {
    env: { ...process.env, ...ONE_THREAD }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error(`the peer worker exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const msg = JSON.parse(r.value) as Record<string, unknown>;
    if (msg.error) throw new Error(`the peer worker failed: ${msg.error}`);
    return msg;
  };
  const ask = async (req: object) => { child.stdin.write(JSON.stringify(req) + '\n'); return next(); };
  await next(); // {"ready": true}
  const info = await ask({ cmd: 'info' });
  return {
    info,
    run: async (what, batch) => {
      const r = await ask({ cmd: 'run', what, batch });
      return { wall: r.wall as number, cpu: r.cpu as number };
    },
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('close', () => resolve());
      child.stdin.end();
    }),
  };
}
