// Process entry (npm start): config, logger, controller, signals.
import { ConfigError, loadConfig } from './config/env.js';
import { FlowError } from './flow/load-flow.js';
import { exposures } from './config/exposure.js';
import { startController } from './controller.js';
import { PortInUseError } from './http/listen.js';
import { createLogger } from './log/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nSet these in the environment or in hotline.env (npm run asterisk:up writes one).`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  // Accepted, never silent: each setting that opens something up, named at every start.
  for (const { setting, value, message } of exposures(config)) logger.warn({ setting, value }, message);
  let controller;
  try {
    controller = await startController(config, { logger });
  } catch (err) {
    if (err instanceof PortInUseError || err instanceof FlowError) {
      // An operator's mistake, not a bug: the message says what to change (for a flow: every
      // problem with file:line), a stack would not.
      console.error(err instanceof FlowError ? `the flow file is refused:\n${err.message}` : err.message);
      process.exit(2);
    }
    throw err;
  }

  process.on('SIGHUP', () => {
    controller.reloadFlow('sighup').catch((err: unknown) => {
      logger.error({ err: (err as Error).message }, 'flow reload rejected; the running flow stays');
    });
  });
  const shutdown = (signal: string) => {
    logger.info({ signal, activeCalls: controller.registry.size }, 'shutting down');
    controller.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
