/**
 * The PyTorch peer (benchmarks/torch/resnet_peer.py) as the training benchmarks start it: Debian's
 * /usr/bin/python3 with python3-torch. `probeTorch` says why it cannot run, so a benchmark can print
 * "PyTorch peer unavailable: <reason>" and carry on with melbench's own figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.MELBENCH_TORCH_PYTHON ?? '/usr/bin/python3';
export const PEER = join(dirname(fileURLToPath(import.meta.url)), 'resnet_peer.py');

export type Probe = { ok: true; version: string } | { ok: false; reason: string };

export function probeTorch(): Probe {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found (install python3 and python3-torch)` };
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run: ${r.error.message}` };
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout).trim().split('\n').at(-1) || `exit ${r.status ?? r.signal}`;
    return { ok: false, reason: `${PYTHON} cannot import torch and numpy: ${last} (apt install python3-torch python3-numpy)` };
  }
  return { ok: true, version: r.stdout.trim() };
}

/** A running peer that answers one JSON line per request line (resnet_peer.py --serve). */
export interface PeerProcess {
  request(line: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startPeer(args: string[]): Promise<PeerProcess> {
  const child = spawn(PYTHON, [PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) {
      const code = await exited;
      throw new Error(`PyTorch peer exited (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`);
    }
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  await next(); // the 'ready' line
  return {
    request: (line) => {
      child.stdin.write(`${line}\n`);
      return next();
    },
    close: async () => {
      child.stdin.end('quit\n');
      await exited;
    },
  };
}

/** Runs the peer to completion, calling `onLine` with each JSON line it prints. */
export function runPeer(args: string[], onLine: (rec: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.trim().startsWith('{')) onLine(JSON.parse(l) as Record<string, unknown>);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`PyTorch peer exited (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`))));
  });
}
