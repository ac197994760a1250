#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * Entry point, invoked like redis-server: `noderedis-server [config-file] [--directive value ...]`.
 */
import { ConfigError, loadStartupConfig } from './config/config.js';
import { Server } from './server/server.js';
import { REDIS_VERSION, SERVER_NAME, SERVER_VERSION } from './version.js';

const USAGE = `Usage: ${SERVER_NAME}-server [/path/to/redis.conf] [options]
       ${SERVER_NAME}-server -v or --version
       ${SERVER_NAME}-server -h or --help

Examples:
       ${SERVER_NAME}-server (run the server with default config)
       ${SERVER_NAME}-server /etc/redis/6379.conf
       ${SERVER_NAME}-server --port 7777
       ${SERVER_NAME}-server /etc/myredis.conf --loglevel verbose --requirepass secret
`;

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(`${SERVER_NAME} v=${SERVER_VERSION} (Redis ${REDIS_VERSION} compatible) node=${process.versions.node}\n`);
    return;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(USAGE);
    return;
  }
  let server: Server;
  try {
    server = new Server(loadStartupConfig(argv));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const aclErrors = server.loadUsersAtStartup();
  if (aclErrors !== undefined) {
    for (const line of aclErrors) server.log('warning', line);
    process.exit(1);
  }
  try {
    if (server.config.getBool('appendonly')) server.persistence.loadAppendOnly();
    else server.persistence.loadSnapshot();
  } catch (error) {
    server.log('warning', `Fatal error loading the DB: ${(error as Error).message}. Exiting.`);
    process.exit(1);
  }
  try {
    await server.listen();
  } catch (error) {
    server.log('warning', (error as Error).message);
    process.exit(1);
  }
  server.log(
    'notice',
    `${SERVER_NAME} ${SERVER_VERSION} (Redis ${REDIS_VERSION} compatible) started, pid=${process.pid}, port=${server.port}`,
  );
  server.log('notice', 'Ready to accept connections tcp');

  let exiting = false;
  /** `saveFirst`: a signal, which saves when save points are configured (SHUTDOWN decided for itself). */
  const stop = (saveFirst: boolean): void => {
    if (exiting) return;
    if (saveFirst && server.persistence.savePointsConfigured) {
      try {
        server.persistence.cancelBackgroundSave();
        server.persistence.save();
      } catch {
        server.log('warning', 'Errors trying to shut down the server. Check the logs for more information.');
        return;
      }
    }
    exiting = true;
    void server.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop(true));
  process.on('SIGTERM', () => stop(true));
  server.onShutdownRequested = (now) => {
    if (!now) return stop(false);
    // The event loop is held (a timed-out script): what shutdown does at once is all it does.
    void server.shutdown();
    process.exit(0);
  };
}

await main(process.argv.slice(2));
