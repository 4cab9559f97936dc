/**
 * A static file server for the built demo (node:http), on 127.0.0.1 only. Serves .wasm as
 * application/wasm (so WebAssembly.instantiateStreaming works) and nothing outside its folder (symlinks
 * included). Answers only requests addressed to 127.0.0.1 or localhost (the Host header), so a web page
 * elsewhere cannot read it through DNS rebinding. A file that fails while it is read ends its response,
 * never the server.
 * Pages are cross-origin isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer, so tfjs loads its
 * threaded SIMD binary); `{ isolated: false }` leaves the headers out (one thread). See docs/performance.md.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.png': 'image/png', '.gif': 'image/gif', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bin': 'application/octet-stream',
  '.ico': 'image/x-icon',
};

/** The host names this server answers to (with its own port). */
const HOSTS = ['127.0.0.1', 'localhost'];

export interface Served { url: string; port: number; server: Server; close(): Promise<void> }

/** The two headers that make a page cross-origin isolated (every resource here is same-origin). */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } as const;

/** Whether the Host header names this server (127.0.0.1 or localhost, on `port`). */
export function allowedHost(host: string | undefined, port: number): boolean {
  return host != null && HOSTS.some((h) => host.toLowerCase() === `${h}:${port}`);
}

/** Streams `file` as the response; an error before the first byte is a 500, after it ends the response. */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string> = {}): void {
  const stream = createReadStream(file);
  stream.on('error', (e) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read ${path.basename(file)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
    else res.destroy();
  });
  stream.once('open', () => {
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size, 'cache-control': 'no-cache', ...headers,
    });
    if (req.method === 'HEAD') { stream.destroy(); res.end(); return; }
    stream.pipe(res);
  });
}

/** Serves `root` on 127.0.0.1:`port` (0 = any free port). */
export function serve(root: string, port = 0, options: { isolated?: boolean } = {}): Promise<Served> {
  const isolation = (options.isolated ?? true) ? ISOLATION_HEADERS : {};
  const base = realpathSync(path.resolve(root));
  const inside = (f: string) => f === base || f.startsWith(base + path.sep);
  const server = createServer((req, res) => {
    const own = (server.address() as AddressInfo | null)?.port ?? port;
    if (!allowedHost(req.headers.host, own)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end(`this server answers only to 127.0.0.1:${own} and localhost:${own}`);
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = path.join(base, rel);
    if (!inside(file)) { res.writeHead(403).end('forbidden'); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`); return; }
    if (!inside(realpathSync(file))) { res.writeHead(403).end('forbidden'); return; } // a symlink out of the folder
    sendFile(req, res, file, isolation);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
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
