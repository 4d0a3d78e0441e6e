/**
 * The environment fingerprint written beside every result: enough to tell two machines or two
 * installs apart (CPU, cores, memory, OS, Node, both ORT packages and the WebGPU adapter), and
 * nothing that identifies a person (no host name, no user, no paths).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform, release, totalmem } from 'node:os';

export interface EnvironmentInfo {
  cpu: string;
  cores: number;
  totalMemGiB: number;
  os: string;
  node: string;
  ortNode: string;
  ortWeb: string;
  adapter?: string;
}

const require = createRequire(import.meta.url);

/** A package's version from its package.json, or 'missing' when it is not installed. */
export function packageVersion(name: string): string {
  try {
    // NOTE: resolved through the main entry: onnxruntime-web's exports map hides package.json.
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/** Async so that later probes (e.g. reading /proc) need no signature change. */
export async function environmentInfo(adapter?: string): Promise<EnvironmentInfo> {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.versions.node,
    ortNode: packageVersion('onnxruntime-node'),
    ortWeb: packageVersion('onnxruntime-web'),
    ...(adapter ? { adapter } : {}),
  };
}

/** One line for CSV cells: "AMD EPYC x2, 23.4 GiB, linux ... x64, node 20.20.2, ort-node 1.30.0, ort-web 1.30.0[, adapter]". */
export function fingerprint(env: EnvironmentInfo): string {
  const parts = [`${env.cpu} x${env.cores}`, `${env.totalMemGiB} GiB`, env.os, `node ${env.node}`, `ort-node ${env.ortNode}`, `ort-web ${env.ortWeb}`];
  if (env.adapter) parts.push(env.adapter);
  return parts.join(', ');
}
