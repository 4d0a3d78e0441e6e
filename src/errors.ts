/**
 * User-facing errors and the CLI's exit codes.
 *
 * A `UserError` is a mistake in what the user asked for (a name, a shape, a path, a file):
 * the CLI prints its one-line message and exits with its code, never a stack trace.
 * Anything else that escapes is a bug in melbench and exits with `EXIT.internal`.
 */
export const EXIT = {
  ok: 0,
  /** A benchmark ran but some rows are not `ok` (only with --strict). */
  rowsFailed: 1,
  /** Unknown command, option, model, runtime, preset or value. */
  usage: 2,
  /** An input file is missing, unreadable, corrupt or of the wrong kind. */
  badInput: 3,
  /** A model cannot be built: impossible shape, kernel larger than its input, ... */
  badModel: 4,
  /** An output path cannot be written. */
  output: 5,
  /** A bug in melbench: please report it with the stack trace printed under MELBENCH_DEBUG=1. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Shape inference and model construction failures: the model cannot exist as asked. */
export class ShapeError extends UserError {
  constructor(message: string) {
    super(message, EXIT.badModel);
    this.name = 'ShapeError';
  }
}

/**
 * A broken invariant inside melbench (a gradient rule returning the wrong number of gradients, a
 * pass producing a dangling value...): never the user's fault. The CLI prints it as an internal
 * error and exits `EXIT.internal` (70), with the stack trace under MELBENCH_DEBUG=1. Use it, not
 * `ShapeError`, wherever the condition can only be reached through a bug of ours.
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/** Throws an InternalError unless `cond` holds. */
export function invariant(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InternalError(typeof message === 'string' ? message : message());
}

/** One line for any thrown value, for table cells and CSV `error` columns. */
export function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim();
}
