#!/usr/bin/env node
/**
 * code-sandbox-server: runs the orchestrator on this machine's Docker (or
 * Podman) engine. Closes gracefully on SIGINT/SIGTERM: every session is torn
 * down and its container removed. Its flags, help and defaults: cli-options.ts.
 */
import { parseArgs } from 'node:util';
import { helpText, listenAddress, orchestratorOptions, parserOptions, UsageError } from './cli-options.js';
import { createOrchestrator, type Orchestrator } from './orchestrator/orchestrator.js';

function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

function closeOnSignals(orchestrator: Orchestrator): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`[code-sandbox-server] ${signal}: closing sessions and removing their containers...`);
    orchestrator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function main(): void {
  let values;
  try {
    values = parseArgs({ options: parserOptions() }).values;
  } catch (error) {
    usage(`${(error as Error).message}\n\n${helpText()}`);
  }
  if (values['help']) {
    console.log(helpText());
    return;
  }
  let options, address;
  try {
    options = orchestratorOptions(values);
    address = listenAddress(values);
  } catch (error) {
    if (error instanceof UsageError) usage(error.message);
    throw error;
  }
  let orchestrator;
  try {
    orchestrator = createOrchestrator(options);
  } catch (error) {
    usage((error as Error).message); // a configuration that cannot work, such as a fleet without a shared secret
  }
  closeOnSignals(orchestrator);
  orchestrator.listen(address.port, address.host).then(
    (url) => console.log(`code-sandbox-server listening on ${url}`),
    (error: unknown) => {
      console.error(`[code-sandbox-server] cannot start: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}

main();
