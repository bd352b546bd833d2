#!/usr/bin/env node
import { Command } from 'commander';
import { isSpyglassError } from '../errors.js';
import { registerCollectorCommand } from './collector-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerSqlCommand } from './sql-command.js';
import { registerRulesCommands } from '../rules/index.js';
import { registerSimulateCommand } from '../simulate/index.js';

// Output piped into `head` and the like: a closed pipe is the reader being done, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Databases, WALs and state files hold personal data (user ids, addresses): every file a command creates is its owner's only.
process.umask(0o077);

const program = new Command('spyglass')
  .description('Spyglass: who is using your API, from OpenTelemetry HTTP server spans')
  .showHelpAfterError();

registerCollectorCommand(program);
registerSqlCommand(program);
registerDemoCommand(program);
registerRulesCommands(program);
registerSimulateCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = isSpyglassError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`spyglass: ${message}\n`);
  process.exit(isSpyglassError(err) && err.code === 'SPY_ERR_CONFIG_INVALID' ? 2 : 1);
});
