#!/usr/bin/env node
/**
 * The `aqueducts` CLI. Commands only declare flags and call their action; the actions return an
 * exit code, and only this entry point exits the process.
 *
 * A command's module is imported when the command runs, not before: `--version`, `--help` and
 * `validate` then load neither the engine's run code, the WebSocket client nor any cloud SDK
 * (docs/architecture.md, "Start-up").
 */
import { Command, InvalidArgumentError } from 'commander';
import { processIo, ExitCode } from './io.js';
import { messages } from './messages.js';
import { API_KEY_ENV } from './remote/target.js';
import { VERSION } from '../core/version.js';
import { quietSdkVersionNotice } from './process.js';

quietSdkVersionNotice();

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

const EXECUTOR_HELP = 'executor address: HOST:PORT or a ws://, wss://, http:// or https:// URL (path defaults to /ws/connect)';
const API_KEY_HELP = `API key of the executor (default: $${API_KEY_ENV}; prefer the variable, flags show up in process lists)`;
const CA_CERT_HELP = 'PEM file of a private CA or self-signed certificate to trust for wss:// (or set NODE_EXTRA_CA_CERTS)';
const REMOTE_NOTES = `
Remote runs (--executor):
  The pipeline is loaded and rendered here and sent to the executor. Relative paths in locations are
  sent as written and resolved by the executor against its data root (--data-root); local files on
  this machine are not visible to it. Ctrl+C asks the executor to cancel; a second Ctrl+C exits at once.
  The API key is read from --api-key or ${API_KEY_ENV}. For TLS with a private CA, pass --ca-cert or
  set NODE_EXTRA_CA_CERTS=<pem file>.`;

program
  .command('run')
  .description('Run a pipeline locally, or on a remote executor with --executor')
  .requiredOption('-f, --file <path>', 'pipeline definition (.yml, .yaml, .json or .toml)')
  .option('-p, --param <key=value>', 'template parameter (repeatable)', collect, [])
  .option('--max-memory <GiB>', 'memory limit of the engine in GiB (0 = engine default; local runs only)', nonNegativeNumber)
  .option('--executor <address>', EXECUTOR_HELP)
  .option('--api-key <key>', API_KEY_HELP)
  .option('--ca-cert <pem file>', CA_CERT_HELP)
  .addHelpText('after', REMOTE_NOTES)
  .action(async (opts) => {
    const signal = cancelOnSigint();
    const { runCommand } = await import('./run.command.js');
    process.exitCode = await runCommand(opts, processIo, signal);
  });

program
  .command('cancel')
  .description('Cancel a queued or running execution on a remote executor')
  .requiredOption('--executor <address>', EXECUTOR_HELP)
  .requiredOption('--execution-id <uuid>', 'the id printed as "Execution id: ..." by run --executor')
  .option('--api-key <key>', API_KEY_HELP)
  .option('--ca-cert <pem file>', CA_CERT_HELP)
  .action(async (opts) => {
    const { cancelAction } = await import('./remote/cancel.command.js');
    process.exitCode = await cancelAction(opts, processIo);
  });

program
  .command('validate')
  .description('Check a pipeline definition without running it')
  .requiredOption('-f, --file <path>', 'pipeline definition (.yml, .yaml, .json or .toml)')
  .option('-p, --param <key=value>', 'template parameter (repeatable)', collect, [])
  .action(async (opts) => {
    const { validateAction } = await import('./validate.command.js');
    process.exitCode = await validateAction(opts, processIo);
  });

program
  .command('schema')
  .description('Print the JSON Schema of the pipeline format')
  .action(async () => {
    const { schemaAction } = await import('./schema.command.js');
    process.exitCode = schemaAction(processIo);
  });

await program.parseAsync(process.argv);
