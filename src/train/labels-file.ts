/**
 * A labels file (`--labels labels.txt`): which class name each class-score output index of a model
 * file means. One name per line, line k (from 0) = output index k; trailing blank lines are
 * ignored, CRLF line ends are accepted, and the names are trimmed.
 *
 * A dataset's classes are matched to the model's indices by name, so the file's order is the
 * model's, not the dataset's: `toOutput[d]` is the output index of dataset class d. Labels the
 * dataset does not have are allowed (a model trained on more classes); a prediction into one is
 * simply wrong for every clip.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { type SigDim, sigShapeText } from '../export/signature.ts';

export interface LabelsFile {
  path: string;
  /** names[k]: the class of output index k. */
  names: string[];
}

/** Reads and checks a labels file: exit 3 for a missing, empty or duplicated-name file. */
export function readLabelsFile(path: string): LabelsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`--labels: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give a text file with one class name per line (line k = output index k)`, EXIT.badInput);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) throw new UserError(`--labels: ${path} has no class names; write one class name per line (line k = output index k)`, EXIT.badInput);
  const blank = lines.indexOf('');
  if (blank >= 0) throw new UserError(`--labels: ${path} line ${blank + 1} is blank; every output index needs a class name (line k = output index k)`, EXIT.badInput);
  const seen = new Map<string, number>();
  lines.forEach((name, k) => {
    const first = seen.get(name);
    if (first !== undefined) throw new UserError(`--labels: ${path} names '${name}' twice (lines ${first + 1} and ${k + 1}); each output index needs its own class name`, EXIT.badInput);
    seen.set(name, k);
  });
  return { path, names: lines };
}

/** The model output the labels name: its class scores, [N, classes]. */
export interface ScoreOutput {
  /** The model file, for messages. */
  model: string;
  name: string;
  dims: SigDim[] | undefined;
}

/**
 * Checks that the labels count is the output's last dim (the class scores). Exit 3 for a count
 * that differs; exit 4 for an output whose last dim the file does not state, or that is not
 * [N, classes].
 */
export function checkLabelsFitOutput(labels: LabelsFile, out: ScoreOutput): void {
  const shape = sigShapeText(out.dims);
  const last = out.dims?.[out.dims.length - 1];
  if (!out.dims || out.dims.length !== 2 || typeof last !== 'number') {
    throw new UserError(`--labels: ${out.model}'s output '${out.name}' is ${shape}; melbench scores class scores [N, classes] with a known class count: export the model with a fixed [batch, classes] output`, EXIT.badModel);
  }
  if (last !== labels.names.length) {
    throw new UserError(`--labels: ${labels.path} has ${labels.names.length} class names but ${out.model}'s output '${out.name}' is ${shape} (${last} classes); give one name per output index`, EXIT.badInput);
  }
}

/** toOutput[d]: the output index of dataset class d, by name; exit 3 naming every dataset class the labels lack. */
export function outputIndexOfClasses(labels: LabelsFile, classes: readonly string[], dataset: string): Int32Array {
  const index = new Map(labels.names.map((n, k) => [n, k]));
  const missing = classes.filter((c) => !index.has(c));
  if (missing.length) {
    throw new UserError(`--labels: ${labels.path} lacks the class(es) ${missing.map((c) => `'${c}'`).join(', ')} of dataset ${dataset} (its classes: ${classes.join(', ')}); name each output index's class as the dataset does`, EXIT.badInput);
  }
  return Int32Array.from(classes, (c) => index.get(c)!);
}
