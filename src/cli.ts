/**
 * The melbench command line. Each subcommand lives in src/commands/; this file wires them up
 * and turns failures into one line and a documented exit code (src/errors.ts):
 * user mistakes never print a stack trace; melbench bugs do only under MELBENCH_DEBUG=1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { register as ablate } from './commands/ablate.ts';
import { register as baseline } from './commands/baseline.ts';
import { register as bench } from './commands/bench.ts';
import { register as compare } from './commands/compare.ts';
import type { RegisterCommand } from './commands/command.ts';
import { register as data } from './commands/data.ts';
import { register as doctor } from './commands/doctor.ts';
import { register as explain } from './commands/explain.ts';
import { register as exportModel } from './commands/export.ts';
import { register as features } from './commands/features.ts';
import { register as frontend } from './commands/frontend.ts';
import { register as models } from './commands/models.ts';
import { checkCommandLine } from './commands/options.ts';
import { guardTerminal } from './commands/terminal-guard.ts';
import { register as prune } from './commands/prune.ts';
import { register as quantize } from './commands/quantize.ts';
import { register as report } from './commands/report.ts';
import { register as trainModel } from './commands/train.ts';
import { EXIT, InternalError, UserError } from './errors.ts';
import { killChildren } from './runners/children.ts';
import { clearResumeHint, resumeHint } from './sweep/interrupt.ts';
import { packageRoot } from './package-root.ts';

const COMMANDS: RegisterCommand[] = [bench, models, exportModel, doctor, features, frontend, data, trainModel, ablate, quantize, prune, compare, explain, baseline, report];

/** melbench's version, from its package.json. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildProgram(commands: readonly RegisterCommand[] = COMMANDS): Command {
  const program = new Command('melbench')
    .description('ONNX-centric, cross-runtime benchmark harness for small audio classifiers')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .version(packageVersion(), '-V, --version', 'print the version')
    // NOTE: commander's own errors ("error: unknown option '--x'") get the prefix every melbench error has.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`melbench: ${s.startsWith('error: ') ? s : `error: ${s}`}`) });
  for (const r of commands) r(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs one command line and returns its exit code; `commands` defaults to melbench's own. */
export async function main(argv: string[], commands: readonly RegisterCommand[] = COMMANDS): Promise<number> {
  // NOTE: names from the command line and from inside models reach the terminal: no control character does.
  const unguard = guardTerminal();
  const unhandle = onInterrupt();
  try {
    checkCommandLine(argv);
    const program = buildProgram(commands);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  } finally {
    unhandle();
    clearResumeHint();
    unguard();
  }
}

/**
 * SIGINT or SIGTERM: every worker is killed at once (a signal sent to melbench alone does not
 * reach them), one line says where the completed rows are and how to finish the run, and melbench
 * exits 128 + the signal's number, as a shell reports it. Returns the function that removes the handlers.
 */
function onInterrupt(): () => void {
  const handler = (signal: NodeJS.Signals) => {
    const killed = killChildren();
    const hint = resumeHint();
    process.stderr.write(`melbench: interrupted by ${signal}${killed ? ` (${killed} worker process(es) killed)` : ''}${hint ? `; ${hint}` : ''}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Prints a failure the way its kind asks and returns the exit code. */
function reportFailure(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander already printed its message (unknown option, missing argument, --help...).
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (e instanceof UserError) {
    process.stderr.write(`melbench: error: ${e.message}\n`);
    return e.exitCode;
  }
  // An InternalError (a broken invariant) or anything else that escaped: a bug in melbench.
  const what = e instanceof InternalError ? 'internal error (broken invariant)' : 'internal error';
  process.stderr.write(`melbench: ${what}: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env.MELBENCH_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  else process.stderr.write('(this is a bug in melbench; rerun with MELBENCH_DEBUG=1 for the stack trace and report it)\n');
  return EXIT.internal;
}
