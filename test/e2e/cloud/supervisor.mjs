// The supervisor process (`node cloud.mjs serve CONFIG`): the registries, moto and the
// servers (GitHub OIDC, Google, AWS, the registry front on 443, the plain-HTTP refusal on
// 80) run here, not in the test's process: tests call docker with spawnSync, which would
// block in-process servers. It watches the process that started it and undoes everything
// if that process dies without calling stop().
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { sleep, pidAlive, cmdlineOf, readJson, writeFileAtomic, freePort, httpStatus } from './util.mjs';
import { cleanupSystemState } from './system.mjs';
import { oidcHandler } from './oidc.mjs';
import { googleHandler } from './google.mjs';
import { awsHandler, pythonCandidates } from './aws.mjs';
import { registryFront, plainHttpRefusal } from './registry-front.mjs';

// =======================================================================================
// the supervisor process: `node cloud.mjs serve CONFIG`

export async function serve(configPath) {
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const log = (...args) => console.log(new Date().toISOString(), ...args);
  const record = (entry) => {
    try {
      fs.appendFileSync(config.requestsLog, JSON.stringify({ time: new Date().toISOString(), ...entry, peer: requestPeer.getStore() }) + '\n');
    } catch {
      // the folder is going away
    }
  };
  const children = [];
  const servers = [];
  let shuttingDown = false;

  async function shutdown(reason, { systemCleanup }) {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`shutting down: ${reason}`);
    for (const server of servers) {
      server.closeAllConnections?.();
      server.close();
    }
    for (const child of children) {
      try {
        child.kill('SIGTERM');
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 8_000;
    while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await sleep(50);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (systemCleanup) {
      // our owner died without stop(): undo its system changes too
      try {
        log('system cleanup:', cleanupSystemState().join(', ') || 'nothing');
      } catch (error) {
        log('system cleanup failed:', error.message);
      }
      if (readJson(config.stateFile)?.dir === config.dir) fs.rmSync(config.stateFile, { force: true });
      fs.rmSync(config.dir, { recursive: true, force: true });
    }
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM', { systemCleanup: false }));
  process.on('SIGINT', () => void shutdown('SIGINT', { systemCleanup: false }));
  process.on('SIGHUP', () => void shutdown('SIGHUP', { systemCleanup: false }));
  const watchdog = setInterval(() => {
    if (!pidAlive(config.ownerPid)) void shutdown(`owner ${config.ownerPid} is gone`, { systemCleanup: true });
  }, 1_000);
  watchdog.unref?.();

  const spawnLogged = (role, command, args) => {
    const logFd = fs.openSync(path.join(config.dir, `${role}.log`), 'a');
    const child = spawn(command, args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    child.role = role;
    child.cmdline = [command, ...args].join(' ');
    children.push(child);
    child.on('exit', (code, signal) => {
      if (!shuttingDown) log(`${role} exited unexpectedly (${code ?? signal})`);
    });
    return child;
  };

  try {
    // registries
    for (const reg of config.registries) spawnLogged(`registry-${reg.host}`, 'docker-registry', ['serve', reg.config]);

    // keys for the OIDC provider (in parallel with moto's start)
    const keysMade = new Promise((resolve, reject) =>
      crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey }))),
    );
    keysMade.catch(() => {});

    // moto (moto needs boto3, so its python has both): the first candidate python that
    // starts it; a free port, retried if another process takes it first
    const candidates = pythonCandidates(config.python);
    let python;
    let motoPort;
    let moto;
    for (let attempt = 0; attempt < candidates.length + 2 && !moto; attempt++) {
      python = candidates[Math.min(attempt, candidates.length - 1)];
      motoPort = await freePort();
      const child = spawnLogged('moto', python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(motoPort)]);
      let failed = false;
      child.on('error', () => (failed = true)); // e.g. no such interpreter
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null && !failed && child.pid !== undefined) {
        const status = await httpStatus({ host: '127.0.0.1', port: motoPort, path: '/moto-api/' });
        if (status === 200) break;
        await sleep(50);
      }
      if (child.exitCode === null && !failed && child.pid !== undefined) moto = child;
    }
    if (!moto) throw new Error(`moto did not start with any of ${candidates.join(', ')} (see ${path.join(config.dir, 'moto.log')}); set BUILD_PUSH_E2E_PYTHON to a python with moto`);

    const { privateKey, publicKey } = await keysMade;
    const kid = crypto
      .createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .slice(0, 40);

    const oidc = await listen(http.createServer(oidcHandler(config, { privateKey, publicKey, kid }, record)), 0);
    // Google STS tokens, shared with the registry front: with direct workload identity
    // (no service account) Artifact Registry takes the federated token itself.
    const federated = new Map();
    const gcp = await listen(http.createServer(googleHandler(config, publicKey, record, federated)), 0);
    const aws = await listen(http.createServer(awsHandler(config, publicKey, motoPort, record)), 0);
    const front = await listen(registryFront(config, record, federated), 443);
    servers.push(oidc, gcp, aws, front);
    // dockerd counts registries that resolve into 127.0.0.0/8 as insecure and, when the
    // HTTPS attempt fails (wrong password), retries over plain HTTP on port 80: answer
    // there with "unauthorized" so the error is the one a real registry gives, never
    // serving anything over plain HTTP
    try {
      servers.push(await listen(plainHttpRefusal(config, record), 80));
    } catch (error) {
      log(`port 80 not available (${error.code}): dockerd's plain-HTTP fallback will see "connection refused"`);
    }

    // registries answer?
    for (const reg of config.registries) {
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = await httpStatus({ socketPath: reg.socket, path: '/v2/' });
        if (status === 401) break;
        await sleep(100);
      }
      if (status !== 401) throw new Error(`registry for ${reg.host} did not answer 401 on /v2/ (got ${status}); see its log in ${config.dir}`);
    }

    const ready = {
      ok: true,
      python,
      ports: { oidc: oidc.address().port, gcp: gcp.address().port, aws: aws.address().port, moto: motoPort, registry: 443 },
      // what /proc shows now (a pyenv shim execs the real python under the same pid)
      processes: children.filter((c) => c.pid !== undefined && c.exitCode === null).map((c) => ({ role: c.role, pid: c.pid, cmdline: cmdlineOf(c.pid) || c.cmdline })),
    };
    writeFileAtomic(config.ready, JSON.stringify(ready, null, 2));
    log('ready', JSON.stringify(ready.ports));
  } catch (error) {
    log('start-up failed:', error.stack ?? error.message);
    writeFileAtomic(config.ready, JSON.stringify({ ok: false, error: error.message }));
    await shutdown('start-up failed', { systemCleanup: false });
  }
}

/**
 * The client port of the request being served, in every record: a test that sent the step
 * through a proxy matches it with the proxy's own upstream ports (who really connected).
 */
const requestPeer = new AsyncLocalStorage();

function listen(server, port) {
  // Each request is served with its peer port at hand (the handlers are already attached).
  for (const handler of server.listeners('request')) {
    server.off('request', handler);
    server.on('request', (req, res) => requestPeer.run(req.socket.remotePort, () => handler(req, res)));
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
