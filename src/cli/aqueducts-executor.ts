#!/usr/bin/env node
/**
 * `aqueducts-executor`: the composition root. Configuration is compiled once; signal handlers
 * are installed here and only here; this is the only place that exits the process. The server,
 * the engine and the orchestrator link are imported once the configuration is valid, so
 * `--help`, `--version` and configuration errors answer without loading them.
 */
import { describeConfig, loadExecutorConfig } from '../config/executor.js';
import { configOrExit, listenOrExit, onShutdownSignal, quietSdkVersionNotice } from './process.js';
import { createLogger } from '../core/log.js';
import { VERSION } from '../core/version.js';

const LINK_STOP_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  quietSdkVersionNotice();
  const config = configOrExit(() => loadExecutorConfig(process.argv.slice(2), process.env));
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  log.info({ config: describeConfig(config), version: VERSION }, 'starting executor');
  const [{ createExecutorRuntime }, { removeLeftovers }, { startServer }] = await Promise.all([
    import('../executor/runtime.js'),
    import('../run/leftovers.js'),
    import('../server/app.js'),
  ]);
  await removeLeftovers(config.spillDir, log);
  const runtime = createExecutorRuntime({
    executorId: config.executorId,
    queueSize: config.queueSize,
    drainTimeoutMs: config.drainTimeoutSeconds * 1000,
    maxRunTimeMs: config.maxRunTimeSeconds === null ? null : config.maxRunTimeSeconds * 1000,
    memoryLimitGb: config.maxMemoryGb ?? 0,
    spillRoot: config.spillDir,
    confinement: config.allowedRoots === null ? undefined : { roots: config.allowedRoots, forbidden: config.spillDir },
    protectedDirs: [config.dataRoot, process.cwd()],
    maxSpillGb: config.maxSpillGb,
    log,
  });
  const server = await listenOrExit('aqueducts-executor', config.bind, () => startServer({
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
    limits: { maxConnections: config.maxConnections, maxPending: config.maxPendingConnections },
  }));
  log.info({ url: server.url, executor_id: config.executorId }, 'listening');
  // Managed mode: work arrives only through the orchestrator link; the server serves health.
  const link = config.mode === 'managed'
    ? (await import('../managed/managed-link.js')).startManagedLink({
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
  onShutdownSignal(log, 'draining', async () => {
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
