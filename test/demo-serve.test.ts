/**
 * demo/serve.ts, the static server of the browser demo: only 127.0.0.1 / localhost Host headers (no DNS
 * rebinding), nothing outside its folder (.. and symlinks), .wasm as application/wasm, and a file that
 * fails while it is read answers 500 instead of crashing the server.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allowedHost, sendFile, serve, type Served } from '../demo/serve.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-serve-'));
const root = path.join(tmp, 'site');
mkdirSync(root);
writeFileSync(path.join(root, 'index.html'), '<p>the demo page</p>');
writeFileSync(path.join(root, 'a.wasm'), Buffer.from([0, 97, 115, 109]));
writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'link.txt'));
let s: Served;

/** A raw request with any Host header and path (fetch would set them itself). */
function get(port: number, p: string, host: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: p, method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    r.on('error', reject);
    r.end();
  });
}

test.before(async () => { s = await serve(root); });
test.after(async () => { await s.close(); rmSync(tmp, { recursive: true, force: true }); });

test('answers 127.0.0.1 and localhost on its port; any other Host gets 421', async () => {
  for (const h of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST:${s.port}`]) {
    const r = await get(s.port, '/', h);
    assert.is(r.status, 200, h);
    assert.is(r.body, '<p>the demo page</p>');
  }
  for (const h of ['evil.example', `evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, '127.0.0.1', `localhost.evil.example:${s.port}`]) {
    const r = await get(s.port, '/', h);
    assert.is(r.status, 421, h);
    assert.not.match(r.body, /the demo page/);
  }
  assert.is(allowedHost(undefined, s.port), false);
});

test('nothing outside its folder: .. and a symlink out are refused; .wasm is application/wasm; HEAD has no body', async () => {
  const h = `127.0.0.1:${s.port}`;
  assert.is((await get(s.port, '/link.txt', h)).status, 403);
  for (const p of ['/%2e%2e/secret.txt', '/../secret.txt', '/..%2fsecret.txt']) {
    const r = await get(s.port, p, h);
    assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
    assert.not.match(r.body, /secret$/, p);
  }
  assert.is((await get(s.port, '/nope.js', h)).status, 404);
  const w = await get(s.port, '/a.wasm', h);
  assert.is(w.status, 200);
  assert.is(w.type, 'application/wasm');
  const head = await get(s.port, '/index.html', h, 'HEAD');
  assert.is(head.status, 200);
  assert.is(head.body, '');
  assert.is((await get(s.port, '/', h, 'POST')).status, 405);
});

test('a file that cannot be read: 500 with the reason, and the server keeps serving', async () => {
  // sendFile on a path that vanished between the checks and the read (here: never existed)
  const other: Server = createServer((req, res) => sendFile(req, res, path.join(root, 'vanished.png')));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  const port = (other.address() as AddressInfo).port;
  const r = await get(port, '/', `127.0.0.1:${port}`);
  assert.is(r.status, 500);
  assert.match(r.body, /cannot read vanished\.png: ENOENT/);
  assert.is((await get(port, '/', `127.0.0.1:${port}`)).status, 500, 'still answering');
  await new Promise<void>((res) => other.close(() => res()));
  assert.is((await get(s.port, '/', `127.0.0.1:${s.port}`)).status, 200);
});

test.run();
