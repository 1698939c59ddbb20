#!/usr/bin/env node
/**
 * `aqueducts-executor`: the composition root. Configuration is compiled once; signal handlers
 * are installed here and only here; this is the only place that exits the process.
 */
import { ConfigError, ConfigHelp, describeConfig, loadExecutorConfig, type ExecutorConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createExecutorRuntime } from '../executor/runtime.js';
import { startServer, type RunningServer } from '../server/app.js';
import { startManagedLink } from '../managed/managed-link.js';
import { VERSION } from '../version.js';

function loadConfig(): ExecutorConfig {
  try {
    return loadExecutorConfig(process.argv.slice(2), process.env);
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

/** SIGTERM/SIGINT: stop accepting work, let the run finish (or cancel it after the drain timeout), exit 0. */
function installDrain(log: Logger, drain: () => Promise<void>): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      log.warn({ signal }, 'already draining');
      return;
    }
    draining = true;
    log.info({ signal }, 'draining');
    drain().then(
      () => { log.info('stopped'); process.exit(0); },
      (err) => { log.error({ err }, 'drain failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

const LINK_STOP_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  log.info({ config: describeConfig(config), version: VERSION }, 'starting executor');
  const runtime = createExecutorRuntime({
    executorId: config.executorId,
    queueSize: config.queueSize,
    drainTimeoutMs: config.drainTimeoutSeconds * 1000,
    memoryLimitGb: config.maxMemoryGb ?? 0,
    spillRoot: config.spillDir,
    log,
  });
  let server: RunningServer;
  try {
    server = await startServer({
      apiKey: config.apiKey,
      host: config.bind.host,
      port: config.bind.port,
      tls: config.tls,
      maxMessageBytes: config.maxMessageBytes,
      dataRoot: config.dataRoot,
      executorId: config.executorId,
      version: VERSION,
      mode: config.mode,
      log,
      runtime,
    });
  } catch (e) {
    process.stderr.write(`error: cannot listen on ${config.bind.host}:${config.bind.port}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // The first line on stdout tells scripts (and tests) where the executor listens.
  process.stdout.write(`aqueducts-executor listening on ${server.url}\n`);
  log.info({ url: server.url, executor_id: config.executorId }, 'listening');
  // Managed mode: work arrives only through the orchestrator link; the server serves health.
  const link = config.mode === 'managed'
    ? startManagedLink({
        url: config.orchestratorUrl!,
        secret: config.apiKey,
        executorId: config.executorId,
        version: VERSION,
        maxMemoryGb: config.maxMemoryGb,
        maxMessageBytes: config.maxMessageBytes,
        dataRoot: config.dataRoot,
        log,
        runtime,
      })
    : null;
  installDrain(log, async () => {
    runtime.send({ type: 'drain' });
    await runtime.stopped;
    if (link) {
      // Deliver what the orchestrator has not yet received (the run's outcome); give up after a while.
      const gaveUp = await Promise.race([link.stop().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), LINK_STOP_TIMEOUT_MS).unref())]);
      if (gaveUp) log.warn('the orchestrator could not be reached to deliver the last messages');
    }
    await server.close();
  });
}

await main();
