// Real protocol peers for the action's credential providers, all on 127.0.0.1, so the
// end-to-end suite exercises GHCR, AWS ECR (+ ECR Public) and Google Artifact Registry
// logins without any test switch in the action. This file is the entry: the test side's
// API (startCloud, registryManifestTls, decodeJwt, the CA and clean-up functions) and the
// command line; the stand-ins live in test/e2e/cloud/, one file per service:
//
//   cloud/system.mjs          the persistent test CA and the run's server certificate,
//                             /etc/hosts lines, /etc/docker/certs.d, the system CA store,
//                             the state file and the clean-up after a crashed run
//   cloud/oidc.mjs            GitHub's OIDC token endpoint, RS256 JWTs
//   cloud/google.mjs          Google STS and IAM Credentials generateAccessToken
//   cloud/aws.mjs             the front for moto (STS, ECR) and ecr-public
//   cloud/registries.mjs      one distribution registry per hostname: table, htpasswd, config
//   cloud/registry-front.mjs  the TLS front on 127.0.0.1:443 (auth dialects, token
//                             endpoints) and the plain-HTTP refusal on port 80
//   cloud/registry-client.mjs registryManifestTls, the tests' registry client
//   cloud/supervisor.mjs      `serve`: the process that runs all of the above
//   cloud/util.mjs            small helpers shared by the test process and the supervisor
//
// Everything runs in one supervisor process (`node cloud.mjs serve CONFIG`, this file run
// again), not in the test's process: tests call docker with spawnSync, which would block
// in-process servers. The supervisor watches the process that started it and undoes
// everything if that process dies without calling stop(). startCloud() also cleans up
// after a crashed run first (marker-based). Plain ESM, Node 20+, no dependencies.
//
// Command line: node test/e2e/cloud.mjs install-ca | uninstall-ca | ca-fingerprint | cleanup
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lookup as dnsLookup } from 'node:dns/promises';
import { fileURLToPath } from 'node:url';
import { alnum, randomToken, sleep, readJson, writeFileAtomic, readJsonl } from './cloud/util.mjs';
import {
  MARKER,
  E2E_HOME,
  STATE_FILE,
  PERSISTENT_SYSTEM_CA,
  hostsAdd,
  certsDirsAdd,
  systemCaAdd,
  ensureCloudCa,
  installCloudCa,
  uninstallCloudCa,
  cleanupSystemState,
  killRecorded,
  cleanupCloudLeftovers,
  makeCertificates,
} from './cloud/system.mjs';
import { GITHUB_ISSUER, decodeJwt } from './cloud/oidc.mjs';
import { DOCKER_HUB, registryTable, realmOf, writeHtpasswd, registryConfigYaml } from './cloud/registries.mjs';
import { registryManifestTls, rememberCa } from './cloud/registry-client.mjs';
import { serve } from './cloud/supervisor.mjs';

export { MARKER, E2E_HOME, decodeJwt, ensureCloudCa, installCloudCa, uninstallCloudCa, cleanupCloudLeftovers, registryManifestTls };

const THIS_FILE = fileURLToPath(import.meta.url);

/** Names for the HTTP services (cloud.namedEnv): proxy rules send 127.0.0.1 direct, names through the proxy. */
const SERVICE_HOSTS = { oidc: `oidc.${MARKER}.test`, aws: `aws.${MARKER}.test`, gcp: `google.${MARKER}.test` };

// ---------------------------------------------------------------------------------------
// startCloud (runs in the test's process)

/**
 * Starts everything; resolves to
 * { env, hosts, ecr, gcp, ghcr, oidc, registries, requests, caPath, dir, setRegistryUsers, stop }.
 *
 * options (all optional):
 *   repository ('acme/app'), ref ('refs/heads/main'), sha, actor ('octocat'),
 *   oidc:   { claims: {...extra/overriding claims}, ttlSeconds: 300 }
 *   ecr:    { accounts: [{accountId, region}] (default 123456789012/us-east-1 and 210987654321/eu-west-1),
 *             audiences: ['sts.amazonaws.com'], roleArns: [...allowed; default any] }
 *   gcp:    { workloadIdentityProvider, serviceAccounts: [...], registryHosts: [...] }
 *   ghcr:   { username: 'octocat' }
 *   python: interpreter with moto + boto3 (default: BUILD_PUSH_E2E_PYTHON, python3, ~/.pyenv/shims/python3)
 *   systemCa: true (put the CA in the system store for the run, unless install-ca keeps it there)
 *   caDir:  the persistent CA's folder (default BUILD_PUSH_E2E_CA_DIR or E2E_HOME/cloud-ca)
 *   checkDaemonTrust: true (fail fast if dockerd's token requests reject the CA; see probeDaemonTrust)
 */
export async function startCloud(options = {}) {
  const t0 = performance.now();
  const phases = {};
  const mark = (name) => (phases[name] = Math.round(performance.now() - t0));
  if (process.getuid?.() !== 0) throw new Error('startCloud needs root (/etc/hosts, port 443, CA store)');
  for (const tool of ['openssl', 'htpasswd', 'docker-registry', 'update-ca-certificates']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} not found (packages: openssl, apache2-utils, docker-registry, ca-certificates)`);
    }
  }
  await cleanupCloudLeftovers();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${MARKER}-cloud-`));
  fs.chmodSync(dir, 0o700);
  const state = { marker: MARKER, ownerPid: process.pid, dir, processes: [], started: new Date().toISOString() };
  const saveState = () => writeFileAtomic(STATE_FILE, JSON.stringify(state, null, 2));
  saveState();

  let supervisor;
  try {
    const repository = options.repository ?? 'acme/app';
    const ref = options.ref ?? 'refs/heads/main';
    const o = {
      repository,
      ref,
      ecr: {
        accounts: options.ecr?.accounts ?? [
          { accountId: '123456789012', region: 'us-east-1' },
          { accountId: '210987654321', region: 'eu-west-1' },
        ],
        audiences: options.ecr?.audiences ?? ['sts.amazonaws.com'],
        roleArns: options.ecr?.roleArns ?? null,
      },
      ecrPublicPassword: `ecrpub-${alnum(40)}`,
      gcp: {
        workloadIdentityProvider: options.gcp?.workloadIdentityProvider ?? 'projects/123/locations/global/workloadIdentityPools/github-pool/providers/github-provider',
        serviceAccounts: options.gcp?.serviceAccounts ?? ['build-push@acme-proj.iam.gserviceaccount.com'],
        registryHosts: options.gcp?.registryHosts ?? ['us-docker.pkg.dev', 'europe-west1-docker.pkg.dev', 'gcr.io'],
        // ≤ 72 bytes: bcrypt (htpasswd) compares only the first 72 bytes of a password
        accessToken: `ya29.c.${alnum(60)}`,
      },
      ghcr: { username: options.ghcr?.username ?? options.actor ?? 'octocat', token: `ghs_${alnum(36)}` },
      dockerhub: { username: options.dockerhub?.username ?? 'acmebot', token: `dckr_pat_${alnum(27)}` },
    };
    const table = registryTable(o);
    const registryHosts = table.map((r) => r.host);
    // Token services on their own host (auth.docker.io) resolve and are trusted the same way;
    // the HTTP services get names too, for clients that send loopback addresses past a proxy.
    const hostnames = [...registryHosts, ...table.flatMap((r) => (r.tokenHost ? [r.tokenHost] : [])), ...Object.values(SERVICE_HOSTS)];

    mark('leftovers-cleaned');
    // 1. /etc/hosts first: Go programs (dockerd) cache the file for up to 5 s
    hostsAdd(hostnames);
    const hostsWrittenAt = performance.now();

    mark('hosts');
    // 2. CA and server certificate
    const ca = ensureCloudCa(options.caDir);
    const tls = makeCertificates(dir, hostnames, ca);
    const caPem = fs.readFileSync(tls.caPath, 'utf8');
    rememberCa(caPem);

    mark('certificates');
    // 3. one registry per hostname
    for (const reg of table) {
      reg.dir = path.join(dir, 'registries', reg.host);
      reg.socket = path.join(reg.dir, 'registry.sock');
      fs.mkdirSync(path.join(reg.dir, 'data'), { recursive: true });
      writeHtpasswd(path.join(reg.dir, 'htpasswd'), reg.users);
      reg.config = path.join(reg.dir, 'config.yml');
      fs.writeFileSync(reg.config, registryConfigYaml(reg), { mode: 0o600 });
    }

    mark('registries-configured');
    // 4. the supervisor (servers, registries, moto)
    const oidcPath = `/_apis/distributedtask/hubs/Actions/plans/${crypto.randomUUID()}/jobs/${crypto.randomUUID()}/idtoken`;
    const oidcRequestToken = randomToken(32);
    const config = {
      dir,
      ownerPid: process.pid,
      stateFile: STATE_FILE,
      requestsLog: path.join(dir, 'requests.jsonl'),
      ready: path.join(dir, 'ready.json'),
      tls,
      python: options.python, // the supervisor finds one with moto + boto3
      oidc: {
        path: oidcPath,
        requestToken: oidcRequestToken,
        ttlSeconds: options.oidc?.ttlSeconds ?? 300,
        claims: {
          repository,
          ref,
          sha: options.sha ?? '0123456789abcdef0123456789abcdef01234567',
          actor: options.actor ?? 'octocat',
          ...options.oidc?.claims,
        },
      },
      aws: { audiences: o.ecr.audiences, roleArns: o.ecr.roleArns, ecrPublicPassword: o.ecrPublicPassword },
      gcp: { ...o.gcp },
      // The passwords stay in the htpasswd files: the supervisor needs none of them.
      registries: table.map(({ users: _users, ...rest }) => rest),
    };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    fs.writeFileSync(config.requestsLog, '');
    const logFd = fs.openSync(path.join(dir, 'supervisor.log'), 'a');
    supervisor = spawn(process.execPath, [THIS_FILE, 'serve', path.join(dir, 'config.json')], { stdio: ['ignore', logFd, logFd], detached: true });
    fs.closeSync(logFd);
    supervisor.unref();
    state.processes.push({ role: 'supervisor', pid: supervisor.pid, cmdline: [process.execPath, THIS_FILE, 'serve', path.join(dir, 'config.json')].join(' ') });
    saveState();

    mark('supervisor-spawned');
    // 5. trust: per registry for dockerd/buildkit, system-wide for CLIs (new processes)
    state.certsDirs = certsDirsAdd(hostnames, caPem);
    saveState();
    const systemCaDone = options.systemCa === false ? Promise.resolve('none') : systemCaAdd(caPem);
    systemCaDone.catch(() => {}); // awaited below

    mark('trust-files');
    // 6. wait for the supervisor
    const ready = await waitReady(config.ready, supervisor, path.join(dir, 'supervisor.log'));
    state.processes.push(...ready.processes);
    state.systemCa = await systemCaDone;
    saveState();

    mark('ready');
    // 7. the names resolve to 127.0.0.1 here (getaddrinfo reads /etc/hosts every time)
    for (const host of hostnames) {
      const { address } = await dnsLookup(host, { family: 4 });
      if (address !== '127.0.0.1') throw new Error(`${host} resolves to ${address}, not 127.0.0.1: /etc/hosts not honoured`);
    }

    mark('resolved');
    // 8. does dockerd resolve the names (Go caches /etc/hosts for up to 5 s) and trust
    //    the CA where it matters (token requests of a push)?
    let daemonTrust = { ok: undefined, detail: 'not checked' };
    if (options.checkDaemonTrust !== false) {
      for (;;) {
        daemonTrust = probeDaemonTrust('ghcr.io', o.ghcr.username, o.ghcr.token);
        if (!daemonTrust.staleHosts || performance.now() - hostsWrittenAt > 7_000) break;
        await sleep(250);
      }
      if (!daemonTrust.ok) {
        throw new Error(
          `dockerd does not trust the test CA for registry token requests. It reads the system CA store once per process, so the CA must have been in the store before dockerd first needed it: ` +
            `run \`node test/e2e/cloud.mjs install-ca\` (keeps ${PERSISTENT_SYSTEM_CA}), then restart dockerd once (test/e2e/stop-engine.sh; test/e2e/setup-engine.sh). ` +
            `Pass { checkDaemonTrust: false } to start anyway (ECR's Basic auth works, bearer-token registries do not).\n${daemonTrust.detail}`,
        );
      }
      fs.writeFileSync(config.requestsLog, '');
    } else {
      const wait = 5_200 - (performance.now() - hostsWrittenAt);
      if (wait > 0) await sleep(wait);
    }

    const awsUrl = `http://127.0.0.1:${ready.ports.aws}`;
    const gcpUrl = `http://127.0.0.1:${ready.ports.gcp}`;
    const oidcUrl = `http://127.0.0.1:${ready.ports.oidc}`;
    const awsDir = path.join(dir, 'aws');
    fs.mkdirSync(awsDir);
    const primary = o.ecr.accounts[0];
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${oidcUrl}${oidcPath}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidcRequestToken,
      AWS_ENDPOINT_URL: awsUrl,
      AWS_REGION: primary.region,
      AWS_DEFAULT_REGION: primary.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(awsDir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
      BUILD_PUSH_GCP_STS_URL: `${gcpUrl}/v1/token`,
      BUILD_PUSH_GCP_IAM_CREDENTIALS_URL: gcpUrl,
      NODE_EXTRA_CA_CERTS: tls.caPath,
    };
    const byName = (url, service) => url.replace('//127.0.0.1:', `//${SERVICE_HOSTS[service]}:`);
    const namedEnv = {
      ...env,
      ACTIONS_ID_TOKEN_REQUEST_URL: byName(env.ACTIONS_ID_TOKEN_REQUEST_URL, 'oidc'),
      AWS_ENDPOINT_URL: byName(awsUrl, 'aws'),
      BUILD_PUSH_GCP_STS_URL: byName(env.BUILD_PUSH_GCP_STS_URL, 'gcp'),
      BUILD_PUSH_GCP_IAM_CREDENTIALS_URL: byName(gcpUrl, 'gcp'),
    };

    const regByHost = new Map(table.map((r) => [r.host, r]));
    const ecrAccounts = o.ecr.accounts.map((a) => {
      const host = `${a.accountId}.dkr.ecr.${a.region}.amazonaws.com`;
      return { ...a, host, username: 'AWS', password: `${a.accountId}-auth-token`, roleArn: `arn:aws:iam::${a.accountId}:role/build-push`, proxyEndpoint: `https://${host}` };
    });
    const requestsLog = config.requestsLog;
    let finalRequests;
    const requests = {
      get all() {
        return finalRequests ?? readJsonl(requestsLog);
      },
      of(service) {
        return this.all.filter((r) => r.service === service);
      },
      get oidc() {
        return this.of('oidc');
      },
      get aws() {
        return this.of('aws');
      },
      get gcp() {
        return this.all.filter((r) => r.service === 'gcp-sts' || r.service === 'gcp-iam');
      },
      get registry() {
        return this.all.filter((r) => r.service === 'registry' || r.service === 'registry-token');
      },
      clear() {
        if (!finalRequests) fs.writeFileSync(requestsLog, '');
      },
    };

    async function setRegistryUsers(users, { hosts: only, replace = false } = {}) {
      for (const host of only ?? registryHosts) {
        const reg = regByHost.get(host);
        if (!reg) throw new Error(`unknown registry host ${host}`);
        const merged = replace ? [] : reg.users.filter((u) => !users.some((n) => n.username === u.username));
        reg.users = [...merged, ...users];
        writeHtpasswd(path.join(reg.dir, 'htpasswd'), reg.users);
      }
    }

    let stopped = false;
    async function stop() {
      if (stopped) return;
      stopped = true;
      const t = performance.now();
      finalRequests = readJsonl(requestsLog);
      const current = readJson(STATE_FILE);
      const processes = current?.dir === dir ? current.processes : state.processes;
      const supervisorEntry = processes.find((p) => p.role === 'supervisor');
      // the supervisor stops its registries and moto on SIGTERM; then anything left
      await killRecorded(supervisorEntry ? [supervisorEntry] : [], 15_000);
      await killRecorded(
        processes.filter((p) => p.role !== 'supervisor'),
        5_000,
      );
      cleanupSystemState();
      fs.rmSync(dir, { recursive: true, force: true });
      if (readJson(STATE_FILE)?.dir === dir) fs.rmSync(STATE_FILE, { force: true });
      cloud.timings.stopMs = Math.round(performance.now() - t);
    }

    const cloud = {
      env,
      namedEnv,
      hosts: hostnames,
      dir,
      caPath: tls.caPath,
      caPem,
      ca: { fingerprint: ca.fingerprint, persistentPath: ca.caPath, systemStore: state.systemCa },
      daemonTrust,
      oidc: {
        url: oidcUrl,
        requestUrl: env.ACTIONS_ID_TOKEN_REQUEST_URL,
        requestToken: oidcRequestToken,
        issuer: GITHUB_ISSUER,
        jwksUrl: `${oidcUrl}/.well-known/jwks`,
        subject: `repo:${repository}:ref:${ref}`,
      },
      ecr: {
        ...ecrAccounts[0],
        accounts: ecrAccounts,
        public: { host: 'public.ecr.aws', region: 'us-east-1', username: 'AWS', password: o.ecrPublicPassword },
        audience: o.ecr.audiences[0],
        endpoint: awsUrl,
        motoEndpoint: `http://127.0.0.1:${ready.ports.moto}`,
        python: ready.python,
      },
      gcp: {
        workloadIdentityProvider: o.gcp.workloadIdentityProvider,
        stsAudience: `//iam.googleapis.com/${o.gcp.workloadIdentityProvider}`,
        oidcAudience: `https://iam.googleapis.com/${o.gcp.workloadIdentityProvider}`,
        serviceAccount: o.gcp.serviceAccounts[0],
        serviceAccounts: o.gcp.serviceAccounts,
        accessToken: o.gcp.accessToken,
        username: 'oauth2accesstoken',
        hosts: o.gcp.registryHosts,
        host: o.gcp.registryHosts[0],
        stsUrl: env.BUILD_PUSH_GCP_STS_URL,
        iamCredentialsUrl: env.BUILD_PUSH_GCP_IAM_CREDENTIALS_URL,
      },
      ghcr: { host: 'ghcr.io', username: o.ghcr.username, token: o.ghcr.token },
      dockerhub: { host: DOCKER_HUB.registry, username: o.dockerhub.username, token: o.dockerhub.token },
      registries: table.map((r) => ({ host: r.host, kind: r.kind, auth: r.auth, ...(r.auth === 'bearer' ? { realm: realmOf(r), service: r.service } : {}) })),
      requests,
      setRegistryUsers,
      stop,
      timings: { startMs: Math.round(performance.now() - t0), stopMs: undefined, phases: { ...phases, probed: Math.round(performance.now() - t0) } },
    };
    return cloud;
  } catch (error) {
    // undo a half-made start
    const current = readJson(STATE_FILE);
    await killRecorded(current?.processes ?? state.processes, 10_000);
    cleanupSystemState();
    const logTail = (() => {
      try {
        return fs.readFileSync(path.join(dir, 'supervisor.log'), 'utf8').split('\n').slice(-30).join('\n');
      } catch {
        return '';
      }
    })();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(STATE_FILE, { force: true });
    if (logTail.trim()) error.message += `\n---- supervisor log ----\n${logTail}`;
    throw error;
  }
}

/**
 * dockerd fetches bearer tokens (containerd image store push/pull) with Go's default
 * client and the system pool it cached: a login plus a pull of an absent tag through
 * ghcr.io's token endpoint shows whether it trusts our CA.
 */
function probeDaemonTrust(host, username, password) {
  const config = fs.mkdtempSync(path.join(os.tmpdir(), `${MARKER}-probe-`));
  try {
    const env = { ...process.env, DOCKER_CONFIG: config };
    const login = spawnSync('docker', ['login', host, '--username', username, '--password-stdin'], { env, input: password, encoding: 'utf8', timeout: 60_000 });
    if (login.status !== 0) {
      const detail = `docker login ${host} failed: ${String(login.stderr ?? login.error).trim()}`;
      // the daemon has not seen our /etc/hosts lines yet (its resolver caches the file)
      return { ok: false, staleHosts: /no such host|lookup .*(on|: )|server misbehaving|connection refused|i\/o timeout/i.test(detail), detail };
    }
    const pull = spawnSync('docker', ['pull', `${host}/${MARKER}/trust-probe:absent`], { env, encoding: 'utf8', timeout: 60_000 });
    const out = `${pull.stdout ?? ''}${pull.stderr ?? ''}`.trim();
    if (/x509|unknown authority|failed to verify certificate/i.test(out)) return { ok: false, detail: out };
    return { ok: true, detail: out };
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
}

async function waitReady(file, child, logFile, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  while (Date.now() < deadline) {
    const ready = readJson(file);
    if (ready?.ok) return ready;
    if (ready?.error) throw new Error(`cloud supervisor failed: ${ready.error}`);
    if (exited) throw new Error(`cloud supervisor exited during start-up (${JSON.stringify(exited)}); log ${logFile}`);
    await sleep(50);
  }
  throw new Error(`cloud supervisor not ready within ${timeoutMs / 1000}s; log ${logFile}`);
}

// ---------------------------------------------------------------------------------------
// command line: `node cloud.mjs serve CONFIG` (the supervisor), `node cloud.mjs cleanup`

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const [command, arg] = process.argv.slice(2);
  if (command === 'serve') {
    serve(arg).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else if (command === 'install-ca') {
    const result = installCloudCa(arg);
    console.log(`${result.changed ? 'installed' : 'already installed'}: ${result.systemPath} (${result.caPath}, sha256 ${result.fingerprint})`);
  } else if (command === 'uninstall-ca') {
    console.log(uninstallCloudCa() ? `removed ${PERSISTENT_SYSTEM_CA}` : 'not installed');
  } else if (command === 'ca-fingerprint') {
    console.log(ensureCloudCa(arg).fingerprint);
  } else if (command === 'cleanup') {
    cleanupCloudLeftovers({ force: arg === '--force' })
      .then((done) => console.log(done.length ? `cleaned: ${done.join(', ')}` : 'nothing to clean'))
      .catch((error) => {
        console.error(error.message);
        process.exit(1);
      });
  } else {
    console.error('usage: node test/e2e/cloud.mjs install-ca [DIR] | uninstall-ca | ca-fingerprint [DIR] | cleanup [--force]   (serve CONFIG is internal)');
    process.exit(2);
  }
}
