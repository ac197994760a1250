#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * Entry point, invoked like redis-server: `noderedis-server [config-file] [--directive value ...]`.
 */
import { ConfigError, loadStartupConfig } from './config/config.js';
import { Server } from './server/server.js';
import { FatalLogged } from './persistence/persistence.js';
import { BindError } from './server/listen.js';
import { SnapshotError } from './persistence/snapshot.js';
import { unlinkSync, writeFileSync } from 'node:fs';
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

/** The start-up banner of always-show-logo, in our own design; like redis-server's, it names the port and the PID. */
function logo(server: Server): string {
  const lines = [
    '',
    `    ${SERVER_NAME} ${SERVER_VERSION}, Redis ${REDIS_VERSION} compatible, on Node.js ${process.versions.node}`,
    '    Running in standalone mode',
    `    Port: ${server.port}`,
    `    PID: ${process.pid}`,
    '',
  ];
  return lines.join('\n') + '\n';
}

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
  const pidfile = server.config.get('pidfile');
  const removePidfile = (): void => {
    if (!pidfile) return;
    server.log('notice', 'Removing the pid file.');
    try {
      unlinkSync(pidfile);
    } catch {
      // Already gone.
    }
  };
  try {
    await server.listen();
  } catch (error) {
    server.log('warning', (error as Error).message);
    if (error instanceof BindError) server.log('warning', `Failed listening on port ${error.port} (${error.kind}), aborting.`);
    process.exit(1);
  }
  if (pidfile) writeFileSync(pidfile, `${process.pid}\n`);
  if (server.config.getBool('always-show-logo')) process.stdout.write(logo(server));
  server.log(
    'notice',
    `${SERVER_NAME} ${SERVER_VERSION} (Redis ${REDIS_VERSION} compatible) started, pid=${process.pid}, port=${server.port}`,
  );
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    void server.shutdown().then(() => {
      removePidfile();
      process.exit(0);
    });
  };
  /** A signal shuts down as shutdown-on-sigterm / shutdown-on-sigint say (default: save if there are save points). */
  const onSignal = (signal: 'SIGTERM' | 'SIGINT'): void => {
    if (exiting) return;
    if (signal === 'SIGINT' && server.savingBeforeExit) {
      server.log('warning', 'You insist... exiting now.');
      server.persistence.cancelBackgroundSave();
      removePidfile();
      process.exit(1);
    }
    server.log('warning', `Received ${signal} scheduling shutdown...`);
    const words = (server.config.get(signal === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint') ?? '').split(' ');
    const save = words.includes('save') ? true : words.includes('nosave') ? false : undefined;
    server.shutdownOnSignal({ save, now: words.includes('now'), force: words.includes('force') });
  };
  if (server.config.getBool('crash-log-enabled')) process.on('SIGABRT', () => server.crash('SIGABRT', new Error('SIGABRT').stack ?? ''));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  server.onShutdownRequested = (now) => {
    if (!now) return exit();
    // The event loop is held (a timed-out script): what shutdown does at once is all it does.
    void server.shutdown();
    removePidfile();
    process.exit(0);
  };
  // As Redis: the listeners and the banner first, then the data (meanwhile clients get -LOADING, and
  // signals and SHUTDOWN stop the server without saving).
  server.log('notice', 'Server initialized');
  try {
    await server.persistence.loadAtStartup();
  } catch (error) {
    if (error instanceof FatalLogged) process.exit(1);
    if (error instanceof SnapshotError) {
      for (const line of error.report) server.log('warning', line);
      server.log('warning', error.corrupt ? 'Terminating server after rdb file reading failure.' : 'Fatal error loading the DB: Invalid argument. Exiting.');
    } else {
      server.log('warning', `Fatal error loading the DB: ${(error as Error).message}. Exiting.`);
    }
    process.exit(1);
  }
  server.log('notice', `Ready to accept connections ${server.describeListeners()}`);
}

await main(process.argv.slice(2));
