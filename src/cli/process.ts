/**
 * What the two server programs do with the process, in one place: compile the configuration or
 * exit (0 for --help/--version, 2 with one line for invalid configuration), and install the one
 * SIGTERM/SIGINT handler that stops the program in order and exits 0.
 */
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

/** The first SIGTERM/SIGINT runs `stop` and exits 0 (1 if it fails); later ones are logged. */
export function onShutdownSignal(log: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, `already ${what}`);
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
