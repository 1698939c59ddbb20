/**
 * What the two server programs do with the process, in one place: compile the configuration or
 * exit (0 for --help/--version, 2 with one line for invalid configuration), and install the one
 * SIGTERM/SIGINT handler that stops the program in order and exits 0, or at once on a second
 * signal (the process ends by that signal: exit status 143 for SIGTERM, 130 for SIGINT).
 */
import { constants } from 'node:os';
import { ConfigError, ConfigHelp } from '../config/error.js';
import type { Logger } from '../core/log.js';

/**
 * On Node 20 the AWS SDK warns, once per process, that its releases after January 2027 will need
 * Node 22. The SDK's version is pinned in package-lock.json, and the multi-line warning would
 * break the executor's JSON-lines stderr. The programs call this at start-up (no module changes
 * the environment when imported); an operator who sets the variable keeps their choice.
 */
export function quietSdkVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigHelp) {
      process.stdout.write(e.text.endsWith('\n') ? e.text : `${e.text}\n`);
      process.exit(0);
    }
    const msg = e instanceof ConfigError ? e.message : (e as Error).message;
    process.stderr.write(`error: ${msg}\n`);
    process.exit(2);
  }
}

/** The exit status of a process a signal ended, as shells, Docker and process managers report it: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * The first SIGTERM/SIGINT runs `stop` and exits 0 (1 if it fails). A second one, while `stop`
 * runs, ends the process at once by that signal (exit status `signalExitCode`): the handlers are
 * removed and the signal raised again, so the default action ends the process without waiting
 * for anything (`process.exit` would wait for the engine's threads while a query runs). The
 * running execution is not waited for and its clean-up is skipped.
 */
export function onShutdownSignal(log: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal, exit_code: signalExitCode(signal) }, `second signal while ${what}: exiting at once`);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      process.kill(process.pid, signal);
      return;
    }
    stopping = true;
    log.info({ signal }, what);
    stop().then(
      () => { log.info('stopped'); process.exit(0); },
      (err) => { log.error({ err }, `${what} failed`); process.exit(1); },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Starts a server or exits 2 naming the address; then prints `<name> listening on <url>` as the
 * first line on stdout, which tells scripts (and tests) where it listens.
 */
export async function listenOrExit<T extends { url: string }>(name: string, bind: { host: string; port: number }, start: () => Promise<T>): Promise<T> {
  let server: T;
  try {
    server = await start();
  } catch (e) {
    process.stderr.write(`error: cannot listen on ${bind.host}:${bind.port}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(`${name} listening on ${server.url}\n`);
  return server;
}
