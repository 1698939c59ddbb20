#!/usr/bin/env node
/**
 * `aqueducts-orchestrator`: the composition root. Configuration is compiled once; signal handlers
 * are installed here and only here; this is the only place that exits the process.
 */
import { createLogger, type Logger } from '../log.js';
import {
  ConfigError, ConfigHelp, describeOrchestratorConfig, loadOrchestratorConfig, type OrchestratorConfig,
} from '../orchestrator/config.js';
import { createOrchestratorRuntime } from '../orchestrator/runtime.js';
import { startOrchestratorServer, type RunningOrchestrator } from '../orchestrator/server.js';
import { VERSION } from '../version.js';

function loadConfig(): OrchestratorConfig {
  try {
    return loadOrchestratorConfig(process.argv.slice(2), process.env);
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

/** SIGTERM/SIGINT: stop taking events, close every connection with 1001, exit 0. */
function installShutdown(log: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    shutdown().then(
      () => { log.info('stopped'); process.exit(0); },
      (err) => { log.error({ err }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  log.info({ config: describeOrchestratorConfig(config), version: VERSION }, 'starting orchestrator');
  if (config.clientApiKey === config.executorSecret) {
    log.warn('the client API key and the executor secret are the same: anyone who can submit pipelines can also register as an executor');
  }
  const runtime = createOrchestratorRuntime({
    settings: {
      queueSize: config.queueSize,
      livenessTimeoutMs: config.livenessTimeoutSeconds * 1000,
      lostGraceMs: config.executorLostGraceSeconds * 1000,
      historySize: config.historySize,
    },
    log,
  });
  let server: RunningOrchestrator;
  try {
    server = await startOrchestratorServer({
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
    });
  } catch (e) {
    process.stderr.write(`error: cannot listen on ${config.bind.host}:${config.bind.port}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // The first line on stdout tells scripts (and tests) where the orchestrator listens.
  process.stdout.write(`aqueducts-orchestrator listening on ${server.url}\n`);
  log.info({ url: server.url }, 'listening');
  installShutdown(log, async () => {
    runtime.shutdown();
    await server.close();
  });
}

await main();
