/**
 * The local HTTP server that hands one browser run its page, ORT-web's files and the model bytes.
 *
 * Why a server at all, and why these headers: ORT-web runs its WASM kernels on threads only when
 * the page can make a SharedArrayBuffer, which a browser allows only to a `crossOriginIsolated`
 * page, that is, one served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`. The same isolation is what makes
 * `performance.now()` tick at 5 µs instead of 100 µs in Chromium, and a page loaded from file://
 * or data: gets neither. `isolated: false` drops the two headers, for the run (and its test) that
 * measures a page without them.
 *
 * The allow-list rule: a request is served only when its raw request target, with the query string
 * cut off and nothing decoded or normalised, is exactly `base + name` for a name in the file map,
 * where `base` is `/run-<32 random hex>/`, fresh per server. Everything else is 404 with a fixed
 * body: `..` and `.` segments, percent-encodings (`%2e%2e/`, `%2F`), absolute paths, absolute-form
 * targets (`GET http://...`), a directory prefix (no listing), another server's base, and a Host
 * header other than this server's origin (so a page of another site whose name resolves to
 * 127.0.0.1 reaches nothing). Methods other than GET and HEAD get 405. Names are checked when
 * added: a name the browser's URL parser would rewrite could never be requested as listed.
 *
 * The server listens on 127.0.0.1, on a free port, and is closed when the run ends, on error, and
 * on SIGINT/SIGTERM: it registers with children.ts, whose `killChildren()` the CLI calls then.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { invariant } from '../../errors.ts';
import { trackServer } from '../children.ts';

/** A file the server may hand out: bytes in memory, or a file on disk read at request time. `type` is its Content-Type. */
export interface ServedFile {
  body: Uint8Array | { path: string };
  type: string;
}

export interface RunServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** `/run-<32 random hex>/`, unique per server. */
  readonly base: string;
  /** `origin + base + name`; `name` must be in the file map (a broken invariant otherwise). */
  url(name: string): string;
  /** Adds `name` to the allow-list (a model per cell, say), replacing a file of the same name; throws on a name that is not a plain relative path. */
  add(name: string, file: ServedFile): void;
  /** Takes `name` off the allow-list (a cell's model once its page is closed). */
  remove(name: string): void;
  /** Stops listening and destroys open sockets, so it resolves promptly; idempotent. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const NOT_FOUND = 'not found\n';
const NOT_ALLOWED = 'method not allowed\n';

/** Segments of unreserved URL characters: nothing a URL parser would encode, decode or normalise. */
const NAME = /^[A-Za-z0-9._~+-]+(?:\/[A-Za-z0-9._~+-]+)*$/;

/** Why `name` cannot be listed, or undefined when it can. */
function badName(name: string): string | undefined {
  if (name.startsWith('/')) return 'starts with /';
  if (name.includes('..')) return 'contains ..';
  if (name.includes('%') || name.includes('\\')) return 'contains % or \\';
  if (!NAME.test(name)) return 'is not /-separated segments of [A-Za-z0-9._~+-]';
  if (name.split('/').includes('.')) return 'has a . segment';
  return undefined;
}

/**
 * Serves `files` to a browser on 127.0.0.1 until `close()`.
 *
 *   const server = await serveRun({ 'index.html': { body: page, type: 'text/html; charset=utf-8' } });
 *   try { await browserPage.goto(server.url('index.html')); } finally { await server.close(); }
 */
export async function serveRun(files: ReadonlyMap<string, ServedFile> | Record<string, ServedFile>, options: { isolated?: boolean } = {}): Promise<RunServer> {
  const listed = new Map<string, ServedFile>();
  const add = (name: string, file: ServedFile) => {
    const why = badName(name);
    invariant(why === undefined, () => `static server: file name ${JSON.stringify(name)} ${why}`);
    listed.set(name, file);
  };
  for (const [name, file] of files instanceof Map ? files : Object.entries(files)) add(name, file);

  const base = `/run-${randomBytes(16).toString('hex')}/`;
  const isolated = options.isolated !== false;
  const sockets = new Set<Socket>();
  let host = '';

  const headers = (type: string, length: number): Record<string, string | number> => ({
    'Content-Type': type,
    'Content-Length': length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
  });
  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...headers('text/plain; charset=utf-8', Buffer.byteLength(body)), ...extra });
    res.end(body);
  };

  /** The listed file a request asks for, or undefined. */
  const lookup = (req: IncomingMessage): ServedFile | undefined => {
    const target = req.url ?? '';
    // NOTE: absolute-form targets (`GET http://host/...`) do not start with '/': refused whole.
    if (!target.startsWith(base) || req.headers.host !== host) return undefined;
    const q = target.indexOf('?');
    return listed.get((q < 0 ? target : target.slice(0, q)).slice(base.length));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, NOT_ALLOWED, { Allow: 'GET, HEAD' });
    const file = lookup(req);
    if (!file) return text(res, 404, NOT_FOUND);
    const { body, type } = file;
    if (body instanceof Uint8Array) {
      res.writeHead(200, headers(type, body.byteLength));
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    const size = await stat(body.path).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined) return text(res, 404, NOT_FOUND);
    res.writeHead(200, headers(type, size));
    if (req.method === 'HEAD' || size === 0) return res.end();
    // NOTE: read exactly the stated length; a read error (the file gone or shrunk) destroys this response only.
    pipeline(createReadStream(body.path, { start: 0, end: size - 1 }), res, () => {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {}); // NOTE: after listening, a server error has no request to fail; close() still ends it.
  const address = server.address();
  invariant(address !== null && typeof address === 'object', 'static server: no port after listen');
  const port = address.port;
  const origin = `http://${HOST}:${port}`;
  host = `${HOST}:${port}`;

  /** Stops listening and destroys every socket at once; returns the promise of the server's close. */
  let closing: Promise<void> | undefined;
  const shut = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
    });
    return closing;
  };
  const untrack = trackServer({ close: shut });

  return {
    origin,
    port,
    base,
    url(name) {
      invariant(listed.has(name), () => `static server: ${JSON.stringify(name)} is not among the served files`);
      return origin + base + name;
    },
    add,
    remove(name) {
      listed.delete(name);
    },
    close() {
      untrack();
      return shut();
    },
  };
}
