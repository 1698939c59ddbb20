#!/usr/bin/env node
/**
 * `aqueducts-orchestrator`: the composition root. Configuration is compiled once; signal handlers
 * are installed here and only here; this is the only place that exits the process. The runtime
 * and the server are imported once the configuration is valid, so `--help`, `--version` and
 * configuration errors answer without loading them.
 */
import { createLogger } from '../core/log.js';
import { describeOrchestratorConfig, loadOrchestratorConfig } from '../config/orchestrator.js';
import { configOrExit, listenOrExit, onShutdownSignal } from './process.js';
import { VERSION } from '../core/version.js';

async function main(): Promise<void> {
  const config = configOrExit(() => loadOrchestratorConfig(process.argv.slice(2), process.env));
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  log.info({ config: describeOrchestratorConfig(config), version: VERSION }, 'starting orchestrator');
  if (config.clientApiKey === config.executorSecret) {
    log.warn('the client API key and the executor secret are the same: anyone who can submit pipelines can also register as an executor');
  }
  const [{ createOrchestratorRuntime }, { startOrchestratorServer }] = await Promise.all([
    import('../orchestrator/runtime.js'),
    import('../orchestrator/server.js'),
  ]);
  const runtime = createOrchestratorRuntime({
    settings: {
      queueSize: config.queueSize,
      livenessTimeoutMs: config.livenessTimeoutSeconds * 1000,
      lostGraceMs: config.executorLostGraceSeconds * 1000,
      historySize: config.historySize,
    },
    log,
  });
  const server = await listenOrExit('aqueducts-orchestrator', config.bind, () => startOrchestratorServer({
    clientApiKey: config.clientApiKey,
    executorSecret: config.executorSecret,
    host: config.bind.host,
    port: config.bind.port,
    tls: config.tls,
    maxMessageBytes: config.maxMessageBytes,
    livenessTimeoutMs: config.livenessTimeoutSeconds * 1000,
    version: VERSION,
    log,
    runtime,
    limits: { maxConnections: config.maxConnections, maxPending: config.maxPendingConnections },
  }));
  log.info({ url: server.url }, 'listening');
  onShutdownSignal(log, 'shutting down', async () => {
    runtime.shutdown();
    await server.close();
  });
}

await main();
