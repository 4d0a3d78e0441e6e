/**
 * The browser runs' static server, through real sockets: listed files come back byte for byte with
 * the isolation headers; every other target (traversal, percent-encodings, absolute paths and
 * absolute-form, directory prefixes, another run's base, a foreign Host) is 404 with nothing of a
 * file in it, sent as exact request lines over node:net (fetch would normalise `..` away); files on
 * disk are streamed and a vanished one is a 404; the port is closed after close() and after SIGINT
 * through melbench's real interrupt handler.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectResult, portPrinted } from '../fixtures/connect-result.ts';
import { InternalError } from '../../src/errors.ts';
import { type RunServer, serveRun } from '../../src/runners/browser/static-server.ts';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = fileURLToPath(new URL('../fixtures/serve-run-child.ts', import.meta.url));

const SECRET = 'SECRET-7f3a-contents';
const PAGE = new TextEncoder().encode(`<!doctype html><p>${SECRET}</p>\n`);
const ORT = new TextEncoder().encode(`export const ort = '${SECRET}';\n`);
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

const open: RunServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function serve(...args: Parameters<typeof serveRun>): Promise<RunServer> {
  const s = await serveRun(...args);
  open.push(s);
  return s;
}
const files = () => ({
  'index.html': { body: PAGE, type: 'text/html; charset=utf-8' },
  'ort/ort.mjs': { body: ORT, type: 'text/javascript' },
  'bytes.bin': { body: ALL_BYTES, type: 'application/octet-stream' },
});

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Sends `request` as written (CRLF line ends, then a blank line) and reads the response until the server closes. */
function raw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: all.subarray(end + 4) });
    });
    socket.end(`${request.split('\n').join('\r\n')}\r\n\r\n`);
  });
}
const get = (s: RunServer, target: string, method = 'GET', host = `127.0.0.1:${s.port}`) => raw(s.port, `${method} ${target} HTTP/1.1\nHost: ${host}\nConnection: close`);

/** The error code of a TCP connection to `port` on 127.0.0.1 ('connected' when it connects). */

function expectIsolationHeaders(h: { get(name: string): string | null | undefined }, isolated: boolean) {
  expect(h.get('cache-control')).toBe('no-store');
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
  expect(h.get('cross-origin-opener-policy') ?? undefined).toBe(isolated ? 'same-origin' : undefined);
  expect(h.get('cross-origin-embedder-policy') ?? undefined).toBe(isolated ? 'require-corp' : undefined);
}

describe('serveRun: listed files', () => {
  it('listens on 127.0.0.1 at a fresh /run-<32 hex>/ base per server', async () => {
    const a = await serve(files());
    const b = await serve(files());
    expect(a.origin).toBe(`http://127.0.0.1:${a.port}`);
    expect(a.base).toMatch(/^\/run-[0-9a-f]{32}\/$/);
    expect(b.base).not.toBe(a.base);
    expect(a.url('ort/ort.mjs')).toBe(`${a.origin}${a.base}ort/ort.mjs`);
  });

  it('serves a listed file with its bytes, Content-Type, Content-Length and the COOP/COEP/CORP headers', async () => {
    const s = await serve(files());
    for (const [name, body, type] of [
      ['index.html', PAGE, 'text/html; charset=utf-8'],
      ['ort/ort.mjs', ORT, 'text/javascript'],
      ['bytes.bin', ALL_BYTES, 'application/octet-stream'],
    ] as const) {
      const r = await fetch(s.url(name));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(type);
      expect(r.headers.get('content-length')).toBe(String(body.byteLength));
      expectIsolationHeaders(r.headers, true);
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(body);
    }
  });

  it('ignores a query string, and answers HEAD with the headers and no body', async () => {
    const s = await serve(files());
    const q = await fetch(`${s.url('index.html')}?v=1&x=..%2f`);
    expect(q.status).toBe(200);
    expect(new Uint8Array(await q.arrayBuffer())).toEqual(PAGE);
    const head = await get(s, `${s.base}index.html`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(PAGE.byteLength));
    expect(head.body.length).toBe(0);
  });

  it('with isolated: false, sends no COOP/COEP (CORP and the rest stay)', async () => {
    const s = await serve(files(), { isolated: false });
    const r = await fetch(s.url('index.html'));
    expect(r.status).toBe(200);
    expectIsolationHeaders(r.headers, false);
  });

  it('serves a file added later, replaces one of the same name, and refuses names that are not plain relative paths', async () => {
    const s = await serve(files());
    expect(() => s.url('model.onnx')).toThrow(InternalError);
    s.add('models/model.onnx', { body: Uint8Array.of(1, 2, 3), type: 'application/octet-stream' });
    expect(new Uint8Array(await (await fetch(s.url('models/model.onnx'))).arrayBuffer())).toEqual(Uint8Array.of(1, 2, 3));
    s.add('models/model.onnx', { body: Uint8Array.of(4, 5), type: 'application/octet-stream' });
    expect(new Uint8Array(await (await fetch(s.url('models/model.onnx'))).arrayBuffer())).toEqual(Uint8Array.of(4, 5));
    for (const bad of ['../x', 'a/../b', 'a..b', '/etc/passwd', 'a%2fb', 'a\\b', '', 'dir/', 'a//b', './a', 'a/./b', 'a b', 'a?b', 'a#b']) {
      expect(() => s.add(bad, { body: PAGE, type: 'text/plain' }), bad).toThrow(InternalError);
    }
    await expect(serveRun({ '../index.html': { body: PAGE, type: 'text/html' } })).rejects.toThrow(InternalError);
  });
});

describe('serveRun: everything off the allow-list', () => {
  it('is 404 with a fixed short body that holds nothing of any file, headers included', async () => {
    const s = await serve(files());
    const other = await serve(files());
    const targets = [
      `${s.base}../x`,
      `${s.base}../${other.base.slice(1)}index.html`,
      '/../etc/passwd',
      `${s.base}%2e%2e/x`,
      `${s.base}%2e%2e/${other.base.slice(1)}index.html`,
      `${s.base}..%2fx`,
      `${s.base}ort%2Fort.mjs`,
      `${s.base}ort%2fort.mjs`,
      `${s.base}%69ndex.html`,
      `${s.base}./index.html`,
      `${s.base}ort/../index.html`,
      `${s.base}ort\\..\\index.html`,
      '/etc/passwd',
      '//etc/passwd',
      '/index.html',
      `/${s.base}index.html`,
      `http://127.0.0.1:${s.port}${s.base}index.html`,
      `http://127.0.0.1:${s.port}/etc/passwd`,
      s.base,
      s.base.slice(0, -1),
      `${s.base}ort/`,
      `${s.base}ort`,
      `${s.base}index.html/`,
      `${other.base}index.html`,
      `${other.base}ort/ort.mjs`,
      '*',
    ];
    const bodies = new Set<string>();
    for (const target of targets) {
      const r = await get(s, target);
      expect(r.status, target).toBe(404);
      expectIsolationHeaders(r.headers, true);
      expect(r.headers.get('content-length'), target).toBe(String(r.body.length));
      const body = r.body.toString('latin1');
      expect(body, target).not.toContain(SECRET);
      expect(body, target).not.toContain('root:');
      bodies.add(body);
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0].length).toBeLessThan(40);
  });

  it('is 404 for a listed target under a Host other than the server own origin', async () => {
    const s = await serve(files());
    for (const host of ['evil.example', `localhost:${s.port}`, `127.0.0.1:${s.port + 1}`, '127.0.0.1']) {
      const r = await get(s, `${s.base}index.html`, 'GET', host);
      expect(r.status, host).toBe(404);
      expect(r.body.toString('latin1')).not.toContain(SECRET);
    }
    expect((await get(s, `${s.base}index.html`)).status).toBe(200);
  });

  it('answers methods other than GET and HEAD with 405 and Allow: GET, HEAD, for listed files too', async () => {
    const s = await serve(files());
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      for (const target of [`${s.base}index.html`, '/etc/passwd']) {
        const r = await raw(s.port, `${method} ${target} HTTP/1.1\nHost: 127.0.0.1:${s.port}\nContent-Length: 0\nConnection: close`);
        expect(r.status, `${method} ${target}`).toBe(405);
        expect(r.headers.get('allow')).toBe('GET, HEAD');
        expect(r.body.toString('latin1')).not.toContain(SECRET);
      }
    }
  });
});

describe('serveRun: files on disk', () => {
  it('streams a { path } file read at request time, and answers 404 once it is gone while serving on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-static-'));
    try {
      const path = join(dir, 'ort-wasm.wasm');
      const big = randomBytes(6 * 1024 * 1024 + 7);
      writeFileSync(path, big);
      const s = await serve({ ...files(), 'ort/ort-wasm.wasm': { body: { path }, type: 'application/wasm' } });
      const r = await fetch(s.url('ort/ort-wasm.wasm'));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/wasm');
      expect(r.headers.get('content-length')).toBe(String(big.length));
      expectIsolationHeaders(r.headers, true);
      expect(Buffer.from(await r.arrayBuffer()).equals(big)).toBe(true);

      writeFileSync(path, 'rewritten');
      expect(await (await fetch(s.url('ort/ort-wasm.wasm'))).text()).toBe('rewritten');

      rmSync(path);
      const gone = await fetch(s.url('ort/ort-wasm.wasm'));
      expect(gone.status).toBe(404);
      expect(await gone.text()).not.toContain('rewritten');
      const still = await fetch(s.url('index.html'));
      expect(new Uint8Array(await still.arrayBuffer())).toEqual(PAGE);

      s.add('dir', { body: { path: dir }, type: 'application/octet-stream' });
      expect((await fetch(s.url('dir'))).status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serveRun: shutdown', () => {
  it('refuses connections after close(), which is idempotent and prompt with a keep-alive socket open', async () => {
    const s = await serveRun(files());
    const socket = connect(s.port, '127.0.0.1');
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('data', () => resolve()).write(`GET ${s.base}index.html HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`));
    const started = Date.now();
    await Promise.all([s.close(), s.close()]);
    await ended;
    expect(Date.now() - started).toBeLessThan(2000); // NOTE: Node's keep-alive timeout is 5 s: a close that waited for it would fail.
    await s.close();
    expect(await connectResult(s.port)).toBe('ECONNREFUSED');
  });

  it('close() resolves promptly while a large file is still being sent to a client that stopped reading', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-static-'));
    try {
      const path = join(dir, 'big.wasm');
      writeFileSync(path, randomBytes(32 * 1024 * 1024));
      const s = await serveRun({ 'big.wasm': { body: { path }, type: 'application/wasm' } });
      const socket = connect(s.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('data', () => resolve()).write(`GET ${s.base}big.wasm HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`));
      socket.pause();
      const started = Date.now();
      await s.close();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await connectResult(s.port)).toBe('ECONNREFUSED');
      // NOTE: the paused client sees the end only after reading what the kernel already holds for it.
      socket.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is closed on SIGINT by melbench interrupt handler, which exits 130', async () => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { text: '' };
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await portPrinted(child, child.stdout, /^port (\d+) /m, out);
    expect(await connectResult(port)).toBe('connected');
    expect(out.text).not.toMatch(/^closed$/m);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out.text).toMatch(/^closed$/m);
    expect(await connectResult(port)).toBe('ECONNREFUSED');
  });
});
