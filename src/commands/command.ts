import type { Command } from 'commander';

/**
 * One CLI subcommand per file in src/commands/. Each module exports a `register`
 * that adds its subcommand to the program; `src/cli.ts` lists the modules.
 * An action throws `UserError` for user mistakes; cli.ts turns those into one line and an exit code.
 */
export type RegisterCommand = (program: Command) => void;
