/**
 * Progress of long feature extractions, on stderr: a bar (cli-progress) when stderr is a TTY and CI
 * is not set; otherwise one plain line every few seconds (`melbench: alerts default: 120/400
 * clips, 5 s`), so logs and pipes stay readable and a piped run never goes silent for long.
 * The total is an estimate: when a dataset yields more clips than it announced (long files framed
 * into several windows), the total grows.
 */
import { createRequire } from 'node:module';
import { WriteStream } from 'node:tty';
import type cliProgressType from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

/** Seconds between two plain progress lines. */
export const LINE_EVERY_S = 3;

/** Whether a caller that does not say otherwise reports progress (a bar or plain lines). */
export function progressEnabled(): boolean {
  return true;
}

/** A stream of its own on the terminal's stderr descriptor (only used when stderr is a TTY). */
const ttyStderr = () => new WriteStream(2);

function barWanted(): boolean {
  const ci = process.env.CI;
  return Boolean(process.stderr.isTTY) && !(ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false');
}

export function progressBar(label: string, total: number, enabled = progressEnabled(), bar = barWanted(), write: (s: string) => unknown = (s) => process.stderr.write(s)): Progress {
  if (!enabled) return { tick() {}, stop() {} };
  let value = 0;
  let max = Math.max(1, total);
  if (!bar) {
    // NOTE: time is checked on each tick, not by a timer: extraction is synchronous between clips,
    // so a timer would not fire until it ends.
    const start = Date.now();
    let last = start;
    return {
      tick() {
        value++;
        if (value > max) max = value;
        const now = Date.now();
        if (now - last < LINE_EVERY_S * 1000) return;
        last = now;
        write(`melbench: ${label}: ${value}/${max} clips, ${Math.round((now - start) / 1000)} s\n`);
      },
      stop() {
        if (last !== start) write(`melbench: ${label}: ${value} clips, ${Math.round((Date.now() - start) / 1000)} s\n`);
      },
    };
  }
  // NOTE: loaded only when a bar is drawn (a TTY): every other start skips it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressType;
  const b = new cliProgress.SingleBar(
    // NOTE: straight to the terminal's descriptor: the bar's cursor codes must not pass through the CLI's control-character guard.
    { stream: ttyStderr(), format: `${label} [{bar}] {value}/{total} clips | {eta_formatted} left`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  b.start(max, 0);
  return {
    tick() {
      value++;
      if (value > max) b.setTotal((max = value));
      b.update(value);
    },
    stop() {
      b.stop();
    },
  };
}
