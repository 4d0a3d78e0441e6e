/**
 * A progress bar on stderr for long feature extractions (cli-progress), shown only when stderr is
 * a TTY and CI is not set, so logs and pipes stay clean. The total is an estimate: when a dataset
 * yields more clips than it announced (long files framed into several windows), the total grows.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

export function progressEnabled(): boolean {
  const ci = process.env.CI;
  return Boolean(process.stderr.isTTY) && !(ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false');
}

export function progressBar(label: string, total: number, enabled = progressEnabled()): Progress {
  if (!enabled) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} clips | {eta_formatted} left`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let value = 0;
  let max = Math.max(1, total);
  bar.start(max, 0);
  return {
    tick() {
      value++;
      if (value > max) bar.setTotal((max = value));
      bar.update(value);
    },
    stop() {
      bar.stop();
    },
  };
}
