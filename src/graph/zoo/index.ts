/**
 * The zoo: every seed architecture by name.
 */
import { UserError } from '../../errors.ts';
import { BUPT2020 } from './bupt2020.ts';
import { DCASE2020 } from './dcase2020.ts';
import type { ZooEntry } from './entry.ts';
import { LIM2021 } from './lim2021.ts';
import { RESNET50 } from './resnet50.ts';
import { SEED003 } from './seed003.ts';

export type { BuildOptions, ModelInput, ZooEntry } from './entry.ts';

export const ZOO: readonly ZooEntry[] = [...DCASE2020, ...LIM2021, ...BUPT2020, ...SEED003, ...RESNET50];

const BY_NAME = new Map(ZOO.map((e) => [e.name, e]));
if (BY_NAME.size !== ZOO.length) throw new Error('duplicate zoo entry name');

export function getZooEntry(name: string): ZooEntry {
  const e = BY_NAME.get(name);
  if (!e) throw new UserError(`unknown model '${name}'; choose from: ${ZOO.map((z) => z.name).join(', ')} (see 'melbench models')`);
  return e;
}
