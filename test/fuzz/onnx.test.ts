/**
 * Fuzzing what `bench --runtimes cpu` does with a user's model: 1,000 seeded mutations of
 * test/data/tiny-cnn.onnx and of zoo exports (byte-level: truncation, bit flips, swapped bytes,
 * a protobuf length or tag byte changed; structural, through onnx-proto: an op renamed or dropped,
 * an input rewired, initializer dims / type / data broken, attributes, opsets and input shapes set
 * to extremes) go, in-process, through prepareModel (read, fromOnnx, the input and I/O checks,
 * cost) and a one-sample sweep on onnxruntime-node's cpu EP (reference run, timed run, output
 * comparison).
 *
 * Outcome classes: ok rows; a UserError with its exit code; rows whose status says why the
 * runtime refused (error / unsupported / nonfinite). Failures, reported with the seed and the
 * mutation: anything else thrown (TypeError, InternalError...), a row whose error is a JavaScript
 * engine message (a melbench bug hidden in a row), and a case over its time bound (a hang).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../../src/rng.ts';
import type { FeatureTensor } from '../../src/features/types.ts';
import { prepareModel } from '../../src/sweep/models.ts';
import { runSweep } from '../../src/sweep/sweep.ts';
import { TINY_CNN } from '../runners/helpers.ts';
import { sweepConfig, TINY_FEATURES, tempSinks } from '../sweep/sweep-fixtures.ts';
import { bitFlips, fieldSwap, type Mutant, truncate } from './mutate.ts';

const SEED = 14;
const CASES = 1000;
/** Per case: far above a healthy case (tens of ms), far below the test's budget. */
const CASE_BOUND_MS = 15_000;
/** Messages V8 gives for bugs in JavaScript, which must never be a row's reason. */
const ENGINE_ERROR = /Cannot read properties|is not a function|is not defined|is not iterable|Invalid typed array length|Invalid array length|Maximum call stack|Array buffer allocation failed|Cannot convert .* to a BigInt/;

const { onnx } = onnxProto;
type ModelProto = ReturnType<typeof onnx.ModelProto.decode>;

interface Source {
  name: string;
  bytes: Uint8Array;
  features: FeatureTensor;
}

function sources(): Source[] {
  const zoo = ['dcase-baseline', 'newcnn'].map((spec) => {
    const m = prepareModel({ spec, classes: 4, seed: 1 });
    return { name: spec, bytes: new Uint8Array(m.bytes), features: m.features };
  });
  return [{ name: 'tiny-cnn', bytes: TINY_CNN, features: TINY_FEATURES }, ...zoo];
}

const EXTREME_INTS = [0, -1, 1, 2, 3, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 40];
const OPS = ['Conv', 'Relu', 'Gemm', 'Softmax', 'MaxPool', 'Add', 'Mul', 'Reshape', 'Flatten', 'BatchNormalization', 'NoSuchOp', ''];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** A structural mutation through the decoded proto; returns its description. */
function mutateProto(m: ModelProto, rng: Rng): string {
  const g = m.graph!;
  const nodes = g.node!;
  const inits = g.initializer!;
  switch (rng.int(10)) {
    case 0: {
      const n = pick(rng, nodes);
      const op = pick(rng, OPS);
      const was = n.opType;
      n.opType = op;
      return `node ${n.name || was} op ${was} -> '${op}'`;
    }
    case 1: {
      const i = rng.int(nodes.length);
      const [n] = nodes.splice(i, 1);
      return `node ${i} (${n.opType}) dropped`;
    }
    case 2: {
      const n = pick(rng, nodes);
      const j = rng.int(Math.max(1, n.input!.length));
      const to = pick(rng, ['', 'nowhere', g.output![0].name!, n.output![0], ...inits.map((t) => t.name!)]);
      n.input![j] = to;
      return `node ${n.opType} input ${j} -> '${to}'`;
    }
    case 3: {
      const t = pick(rng, inits);
      const k = rng.int(Math.max(1, t.dims!.length));
      const v = pick(rng, EXTREME_INTS);
      t.dims![k] = v as never;
      return `initializer ${t.name} dim ${k} = ${v}`;
    }
    case 4: {
      const t = pick(rng, inits);
      const v = rng.int(17);
      t.dataType = v;
      return `initializer ${t.name} dataType = ${v}`;
    }
    case 5: {
      const t = pick(rng, inits);
      if (t.rawData && t.rawData.length) t.rawData = t.rawData.subarray(0, rng.int(t.rawData.length));
      else if (t.floatData && t.floatData.length) t.floatData = t.floatData.slice(0, rng.int(t.floatData.length));
      return `initializer ${t.name} data cut`;
    }
    case 6: {
      const withAttr = nodes.filter((n) => n.attribute && n.attribute.length);
      if (!withAttr.length) return 'no attribute to change';
      const a = pick(rng, pick(rng, withAttr).attribute!);
      const v = pick(rng, EXTREME_INTS);
      if (a.ints && a.ints.length) a.ints[rng.int(a.ints.length)] = v as never;
      else a.i = v as never;
      if (rng.next() < 0.2) a.type = rng.int(15);
      return `attribute ${a.name} = ${v}`;
    }
    case 7: {
      const op = m.opsetImport![0];
      const v = pick(rng, [0, 1, 6, 99, 2 ** 31 - 1]);
      op.version = v as never;
      if (rng.next() < 0.3) op.domain = 'com.example';
      return `opset ${op.domain || 'ai.onnx'} = ${v}`;
    }
    case 8: {
      const tt = g.input![0].type!.tensorType!;
      if (rng.next() < 0.3) {
        tt.elemType = rng.int(17);
        return `graph input elemType = ${tt.elemType}`;
      }
      const d = tt.shape!.dim!;
      const k = rng.int(d.length);
      const v = pick(rng, EXTREME_INTS);
      d[k] = rng.next() < 0.2 ? { dimParam: 'T' } : { dimValue: v as never };
      return `graph input dim ${k} = ${JSON.stringify(d[k])}`;
    }
    default: {
      if (rng.next() < 0.5) {
        g.output!.push(g.output![0]);
        return 'graph output duplicated';
      }
      g.output!.splice(0, 1);
      return 'graph output removed';
    }
  }
}

function mutate(src: Uint8Array, rng: Rng): Mutant {
  switch (rng.int(5)) {
    case 0:
      return truncate(src, rng);
    case 1:
      return bitFlips(src, rng, 256);
    case 2:
      return fieldSwap(src, rng, 256);
    default: {
      const m = onnx.ModelProto.decode(src);
      const what = mutateProto(m, rng);
      return { bytes: onnx.ModelProto.encode(m).finish(), what };
    }
  }
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ms)))]).finally(() => clearTimeout(timer));
}

describe('fuzz: mutated ONNX models through bench --runtimes cpu', () => {
  it(`${CASES} seeded mutations end in rows or a user error, never anything else`, async () => {
    const srcs = sources();
    const rng = new Rng(SEED);
    const sinks = tempSinks();
    const dir = mkdtempSync(join(tmpdir(), 'melbench-fuzz-onnx-'));
    const outcomes = new Map<string, number>();
    /** The first message of each user-error class, printed for the record. */
    const examples = new Map<string, string>();
    const failures: string[] = [];
    let slowest = 0;
    const start = performance.now();
    // One config for every case: availability is asked once per config.
    const cfg = sweepConfig([], { batches: [1], timing: { warmupIterations: 0, warmupTimeMs: 0, minSamples: 1, minTimeMs: 0 } });
    for (let k = 0; k < CASES; k++) {
      const src = srcs[k % srcs.length];
      const m = mutate(src.bytes, rng);
      const path = join(dir, `case${k}-${src.name}.onnx`);
      writeFileSync(path, m.bytes);
      const id = `seed ${SEED} case ${k} ${src.name}: ${m.what}`;
      const t0 = performance.now();
      let outcome: string;
      try {
        const result = await bounded(
          (async () => {
            const model = prepareModel({ spec: path, features: src.features, classes: 4, seed: 1 });
            return runSweep({ ...cfg, features: src.features }, [model], sinks);
          })(),
          CASE_BOUND_MS,
        );
        if (result === 'hang') {
          failures.push(`${id}: no result within ${CASE_BOUND_MS} ms`);
          outcome = 'hang';
        } else {
          outcome = `row ${result.map((r) => r.status).join('/')}`;
          for (const r of result) if (r.error && ENGINE_ERROR.test(String(r.error))) failures.push(`${id}: row error is a JavaScript bug: ${r.error}`);
        }
      } catch (e) {
        if (e instanceof UserError) {
          outcome = `exit ${e.exitCode}`;
          if (!examples.has(outcome)) examples.set(outcome, `${id} -> ${e.message}`);
        }
        else {
          outcome = 'thrown';
          failures.push(`${id}: ${(e as Error)?.name}: ${(e as Error)?.message ?? e}`);
        }
      }
      slowest = Math.max(slowest, performance.now() - t0);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(`onnx fuzz: ${CASES} cases in ${seconds.toFixed(1)} s, slowest ${slowest.toFixed(0)} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; failures ${failures.length}`);
    for (const [k, v] of examples) console.log(`  first ${k}: ${v}`);
    expect(failures).toEqual([]);
    // The mutations must reach all three classes: models that still run, refusals at the door, and runtime refusals.
    expect(outcomes.get('row ok')).toBeGreaterThan(50);
    expect([...outcomes.keys()].filter((o) => o.startsWith('exit ')).reduce((s, o) => s + outcomes.get(o)!, 0)).toBeGreaterThan(50);
    expect([...outcomes.keys()].filter((o) => /^row (error|unsupported)/.test(o)).reduce((s, o) => s + outcomes.get(o)!, 0)).toBeGreaterThan(20);
  }, 120_000);
});
