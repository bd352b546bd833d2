#!/usr/bin/env node
import { Command } from 'commander';
import { isSpyglassError } from '../errors.js';
import { registerCollectorCommand } from './collector-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerSqlCommand } from './sql-command.js';

const program = new Command('spyglass')
  .description('Spyglass: who is using your API, from OpenTelemetry HTTP server spans')
  .showHelpAfterError();

registerCollectorCommand(program);
registerSqlCommand(program);
registerDemoCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = isSpyglassError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`spyglass: ${message}\n`);
  process.exit(isSpyglassError(err) && err.code === 'SPY_ERR_CONFIG_INVALID' ? 2 : 1);
});
