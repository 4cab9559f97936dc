/**
 * A static file server for the built demo (node:http), on 127.0.0.1 only. Serves .wasm as
 * application/wasm (so WebAssembly.instantiateStreaming works) and nothing outside its folder.
 * Pages are cross-origin isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer, so tfjs loads its
 * threaded SIMD binary); `{ isolated: false }` leaves the headers out (one thread). See docs/performance.md.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bin': 'application/octet-stream',
  '.ico': 'image/x-icon',
};

export interface Served { url: string; port: number; server: Server; close(): Promise<void> }

/** The two headers that make a page cross-origin isolated (every resource here is same-origin). */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } as const;

/** Serves `root` on 127.0.0.1:`port` (0 = any free port). */
export function serve(root: string, port = 0, options: { isolated?: boolean } = {}): Promise<Served> {
  const isolation = (options.isolated ?? true) ? ISOLATION_HEADERS : {};
  const base = path.resolve(root);
  const server = createServer((req, res) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = path.join(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) { res.writeHead(403).end('forbidden'); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`); return; }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size, 'cache-control': 'no-cache', ...isolation,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${p}/`, port: p, server,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
