#!/usr/bin/env node
/**
 * The `aqueducts` CLI. Commands only declare flags and call their action; the actions return an
 * exit code, and only this entry point exits the process.
 */
import { Command, InvalidArgumentError } from 'commander';
import { processIo, ExitCode } from './io.js';
import { messages } from './messages.js';
import { runAction } from './run.command.js';
import { validateAction } from './validate.command.js';
import { schemaAction } from './schema.command.js';
import { VERSION } from '../version.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of GiB ≥ 0');
  return n;
}

/** First Ctrl+C cancels the run cleanly; a second one exits at once. */
function cancelOnSigint(): AbortSignal {
  const ac = new AbortController();
  process.on('SIGINT', () => {
    if (ac.signal.aborted) process.exit(ExitCode.cancelled);
    processIo.err(messages.cancelling);
    ac.abort();
  });
  return ac.signal;
}

const program = new Command('aqueducts')
  .description('Run Aqueducts pipelines (sources → SQL stages → destination)')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
  });

program
  .command('run')
  .description('Run a pipeline locally')
  .requiredOption('-f, --file <path>', 'pipeline definition (.yml, .yaml, .json or .toml)')
  .option('-p, --param <key=value>', 'template parameter (repeatable)', collect, [])
  .option('--max-memory <GiB>', 'memory limit of the engine in GiB (0 = engine default)', nonNegativeNumber)
  .action(async (opts) => {
    process.exitCode = await runAction(opts, processIo, cancelOnSigint());
  });

program
  .command('validate')
  .description('Check a pipeline definition without running it')
  .requiredOption('-f, --file <path>', 'pipeline definition (.yml, .yaml, .json or .toml)')
  .option('-p, --param <key=value>', 'template parameter (repeatable)', collect, [])
  .action(async (opts) => {
    process.exitCode = await validateAction(opts, processIo);
  });

program
  .command('schema')
  .description('Print the JSON Schema of the pipeline format')
  .action(() => {
    process.exitCode = schemaAction(processIo);
  });

await program.parseAsync(process.argv);
