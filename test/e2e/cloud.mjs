// Real protocol peers for the action's credential providers, all on 127.0.0.1, so the
// end-to-end suite exercises GHCR, AWS ECR (+ ECR Public) and Google Artifact Registry
// logins without any test switch in the action:
//
//   * a persistent test CA (E2E_HOME/cloud-ca) and a fresh server certificate for the real
//     registry hostnames; the CA is trusted system-wide (update-ca-certificates: CLIs, and
//     dockerd's token requests) and per registry in /etc/docker/certs.d
//   * /etc/hosts lines sending those hostnames to 127.0.0.1 (tagged "# build-push-e2e")
//   * a TLS front on 127.0.0.1:443 routing by Host to one registry (distribution 2.8,
//     htpasswd, unix socket) per hostname, speaking each registry's auth dialect: ECR
//     answers Basic challenges; ghcr.io, *.pkg.dev, gcr.io and public.ecr.aws answer Bearer
//     challenges with a token endpoint at the real realm path
//   * GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN), RS256 JWTs
//   * AWS: moto (STS, ECR) behind a small front that checks the web identity token,
//     checks that later calls are signed with the issued keys, gives ECR's real 12-hour
//     expiry, and answers ecr-public GetAuthorizationToken (moto has no ecr-public)
//   * Google STS (POST /v1/token) and IAM Credentials generateAccessToken
//
// Everything runs in one supervisor process (`node cloud.mjs serve CONFIG`), not in the
// test's process: tests call docker with spawnSync, which would block in-process servers.
// The supervisor watches the process that started it and undoes everything if that
// process dies without calling stop(). startCloud() also cleans up after a crashed run
// first (marker-based). Plain ESM, Node 20+, no dependencies.
//
// Command line: node test/e2e/cloud.mjs install-ca | uninstall-ca | ca-fingerprint | cleanup
import { spawn, spawnSync, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { lookup as dnsLookup } from 'node:dns/promises';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

const THIS_FILE = fileURLToPath(import.meta.url);

export const MARKER = 'build-push-e2e';
const HOSTS_FILE = '/etc/hosts';
const HOSTS_TAG = `# ${MARKER}`;
// The CA is persistent (E2E_HOME/cloud-ca): dockerd fetches registry tokens with Go's
// default HTTP client, whose system pool is read once per process, so the daemon only
// ever trusts a CA that was in the system store when it first needed the pool. One CA
// kept for good (installed by `node test/e2e/cloud.mjs install-ca` before dockerd
// starts) works for every run; a new CA per run would need a daemon restart per run.
export const E2E_HOME = process.env.E2E_HOME || process.env.BUILD_PUSH_E2E_HOME || '/opt/build-push-e2e';
const CA_DIR = path.join(E2E_HOME, 'cloud-ca');
const PERSISTENT_SYSTEM_CA = `/usr/local/share/ca-certificates/${MARKER}-ca.crt`; // install-ca: kept
const SYSTEM_CA = `/usr/local/share/ca-certificates/${MARKER}.crt`; // a run's own install: removed by stop()
const SYSTEM_CA_LINK = `/etc/ssl/certs/${MARKER}.pem`;
const CERTS_D = '/etc/docker/certs.d';
const CERTS_D_MARKER = `.${MARKER}`;
const STATE_FILE = `/tmp/${MARKER}-cloud.state.json`;

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
/** Names for the HTTP services (cloud.namedEnv): proxy rules send 127.0.0.1 direct, names through the proxy. */
const SERVICE_HOSTS = { oidc: `oidc.${MARKER}.test`, aws: `aws.${MARKER}.test`, gcp: `google.${MARKER}.test` };
const STS_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
const TOKEN_TYPE_ID = 'urn:ietf:params:oauth:token-type:id_token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.';
const ECR_PUBLIC_TARGET = 'SpencerFrontendService.';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

// ---------------------------------------------------------------------------------------
// small helpers (shared by the test process and the supervisor)

const b64url = (input) => Buffer.from(input).toString('base64url');
const randomToken = (bytes) => crypto.randomBytes(bytes).toString('base64url');
const alnum = (length) => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(length);
  return Array.from(bytes, (b) => chars[b % chars.length]).join('');
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const execFileAsync = promisify(execFile);

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeFileAtomic(file, text, mode = 0o600) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

function readJsonl(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const type = typeof body === 'string' || Buffer.isBuffer(body) ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// ---------------------------------------------------------------------------------------
// JWTs (RS256), as GitHub's OIDC provider issues them

function signJwt(claims, privateKey, kid) {
  const header = { typ: 'JWT', alg: 'RS256', kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** Decodes a JWT without checking it (for tests and error messages). */
export function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('not a JWT (expected three dot-separated parts)');
  return { header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')), claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) };
}

/** Verifies signature, issuer and time of a JWT from our OIDC provider; returns { claims } or { error }. */
function verifyGithubJwt(token, publicKey, now = Date.now() / 1000) {
  let decoded;
  try {
    decoded = decodeJwt(token);
  } catch (error) {
    return { error: `malformed JWT: ${error.message}` };
  }
  const [h, p, s] = String(token).split('.');
  if (decoded.header.alg !== 'RS256') return { error: `unsupported JWT alg ${decoded.header.alg}` };
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'));
  if (!ok) return { error: 'JWT signature does not verify against the issuer keys', claims: decoded.claims };
  const { claims } = decoded;
  if (claims.iss !== GITHUB_ISSUER) return { error: `unexpected issuer ${claims.iss}`, claims };
  if (typeof claims.exp !== 'number' || claims.exp < now - 5) return { error: 'JWT expired', expired: true, claims };
  if (typeof claims.nbf === 'number' && claims.nbf > now + 5) return { error: 'JWT not yet valid', claims };
  return { claims };
}

// ---------------------------------------------------------------------------------------
// system state: /etc/hosts, CA, certs.d (marker-based so a crashed run can be undone)

function hostsRemoveTagged() {
  let text;
  try {
    text = fs.readFileSync(HOSTS_FILE, 'utf8');
  } catch {
    return false;
  }
  const lines = text.split('\n');
  const kept = lines.filter((line) => !line.trimEnd().endsWith(HOSTS_TAG));
  if (kept.length === lines.length) return false;
  // /etc/hosts may be a bind mount: rewrite in place, never rename over it
  fs.writeFileSync(HOSTS_FILE, kept.join('\n'));
  return true;
}

function hostsAdd(hostnames) {
  hostsRemoveTagged();
  let text = fs.readFileSync(HOSTS_FILE, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) text += '\n';
  text += hostnames.map((host) => `127.0.0.1 ${host} ${HOSTS_TAG}`).join('\n') + '\n';
  fs.writeFileSync(HOSTS_FILE, text);
}

function certsDirsRemoveTagged() {
  let removed = 0;
  let entries;
  try {
    entries = fs.readdirSync(CERTS_D);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const dir = path.join(CERTS_D, entry);
    if (fs.existsSync(path.join(dir, CERTS_D_MARKER))) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed++;
    }
  }
  // an empty certs.d means nothing to dockerd: drop it if we emptied it
  try {
    if (removed && fs.readdirSync(CERTS_D).length === 0) fs.rmdirSync(CERTS_D);
  } catch {
    // still in use
  }
  return removed;
}

/** Per-registry CA for dockerd/buildkit; never touches a folder that is not ours. */
function certsDirsAdd(hostnames, caPem) {
  const added = [];
  for (const host of hostnames) {
    const dir = path.join(CERTS_D, host);
    if (fs.existsSync(dir) && !fs.existsSync(path.join(dir, CERTS_D_MARKER))) continue;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, CERTS_D_MARKER), 'created by test/e2e/cloud.mjs; removed by its stop()\n');
    fs.writeFileSync(path.join(dir, 'ca.crt'), caPem);
    added.push(dir);
  }
  return added;
}

/**
 * update-ca-certificates (without --fresh) leaves the links of a removed certificate
 * dangling: removes the links in /etc/ssl/certs that `isOurs(path, target)` names.
 * True if it removed any.
 */
function removeCertLinks(isOurs) {
  let removed = false;
  try {
    for (const entry of fs.readdirSync('/etc/ssl/certs')) {
      const full = path.join('/etc/ssl/certs', entry);
      let target;
      try {
        target = fs.readlinkSync(full);
      } catch {
        continue;
      }
      if (isOurs(full, target)) {
        fs.rmSync(full, { force: true });
        removed = true;
      }
    }
  } catch {
    // no /etc/ssl/certs
  }
  return removed;
}

function systemCaRemove() {
  let present = fs.existsSync(SYSTEM_CA);
  fs.rmSync(SYSTEM_CA, { force: true });
  // Ours: the name link and the hash link; then the bundle is rebuilt.
  if (removeCertLinks((full, target) => full === SYSTEM_CA_LINK || target === SYSTEM_CA || target === `${MARKER}.pem` || target === SYSTEM_CA_LINK)) present = true;
  if (present) execFileSync('update-ca-certificates', [], { stdio: 'ignore' });
  return present;
}

/** Puts the CA in the system store for this run, unless install-ca already keeps it there. */
async function systemCaAdd(caPem) {
  if (sameFile(PERSISTENT_SYSTEM_CA, caPem)) return 'persistent';
  fs.mkdirSync(path.dirname(SYSTEM_CA), { recursive: true });
  fs.writeFileSync(SYSTEM_CA, caPem, { mode: 0o644 });
  await execFileAsync('update-ca-certificates', [], { timeout: 120_000 });
  return 'run';
}

function sameFile(file, text) {
  try {
    return fs.readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

/** The persistent test CA (created on first use): { dir, caPath, keyPath, pem, fingerprint }. */
export function ensureCloudCa(dir = process.env.BUILD_PUSH_E2E_CA_DIR || CA_DIR) {
  const caPath = path.join(dir, 'ca.crt');
  const keyPath = path.join(dir, 'ca.key');
  if (!fs.existsSync(caPath) || !fs.existsSync(keyPath)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = fs.mkdtempSync(path.join(dir, '.new-'));
    const stamp = `${new Date().toISOString().slice(0, 10)} ${crypto.randomBytes(3).toString('hex')}`;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', `/O=${MARKER}/CN=${MARKER} test CA ${stamp}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    fs.chmodSync(path.join(tmp, 'ca.key'), 0o600);
    fs.renameSync(path.join(tmp, 'ca.key'), keyPath);
    fs.renameSync(path.join(tmp, 'ca.crt'), caPath);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const pem = fs.readFileSync(caPath, 'utf8');
  const fingerprint = new crypto.X509Certificate(pem).fingerprint256;
  return { dir, caPath, keyPath, pem, fingerprint };
}

/**
 * For the engine set-up: creates the persistent CA if needed and keeps it in the system
 * store (update-ca-certificates only when it changed). Run it BEFORE dockerd starts, and
 * restart dockerd when the returned fingerprint changes. Returns { fingerprint, changed }.
 */
export function installCloudCa(dir) {
  const ca = ensureCloudCa(dir);
  const changed = !sameFile(PERSISTENT_SYSTEM_CA, ca.pem);
  if (changed) {
    fs.mkdirSync(path.dirname(PERSISTENT_SYSTEM_CA), { recursive: true });
    fs.writeFileSync(PERSISTENT_SYSTEM_CA, ca.pem, { mode: 0o644 });
    execFileSync('update-ca-certificates', [], { stdio: 'ignore' });
  }
  return { fingerprint: ca.fingerprint, changed, caPath: ca.caPath, systemPath: PERSISTENT_SYSTEM_CA };
}

/** Takes the persistent CA out of the system store again (the CA files stay). */
export function uninstallCloudCa() {
  if (!fs.existsSync(PERSISTENT_SYSTEM_CA)) return false;
  fs.rmSync(PERSISTENT_SYSTEM_CA, { force: true });
  removeCertLinks((_, target) => target === PERSISTENT_SYSTEM_CA || target === `${MARKER}-ca.pem`);
  execFileSync('update-ca-certificates', [], { stdio: 'ignore' });
  return true;
}

/** Undoes every system change a run (this one or a crashed one) made. Idempotent. */
function cleanupSystemState() {
  const done = [];
  if (hostsRemoveTagged()) done.push('hosts');
  if (certsDirsRemoveTagged()) done.push('certs.d');
  if (systemCaRemove()) done.push('ca');
  return done;
}

async function killRecorded(processes, timeoutMs = 10_000) {
  const mine = (processes ?? []).filter((p) => pidAlive(p.pid) && p.cmdline && cmdlineOf(p.pid) === p.cmdline);
  for (const p of mine) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (mine.some((p) => pidAlive(p.pid)) && Date.now() < deadline) await sleep(50);
  for (const p of mine) {
    if (pidAlive(p.pid)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  return mine.length;
}

/**
 * Removes what a previous run left behind: its processes (only if their command line
 * still matches what was recorded), its temp folder, /etc/hosts lines, certs.d folders
 * and the CA. Throws if another live process owns a running cloud.
 */
export async function cleanupCloudLeftovers({ force = false } = {}) {
  const state = readJson(STATE_FILE);
  const cleaned = [];
  if (state) {
    const supervisor = state.processes?.find((p) => p.role === 'supervisor');
    const supervisorAlive = supervisor && pidAlive(supervisor.pid) && cmdlineOf(supervisor.pid) === supervisor.cmdline;
    if (!force && supervisorAlive && state.ownerPid !== process.pid && pidAlive(state.ownerPid)) {
      throw new Error(`a cloud started by pid ${state.ownerPid} is still running (state ${STATE_FILE}); stop it first or call cleanupCloudLeftovers({ force: true })`);
    }
    const killed = await killRecorded(state.processes);
    if (killed) cleaned.push(`${killed} process(es)`);
    if (state.dir && state.dir.includes(`${MARKER}-cloud-`)) {
      fs.rmSync(state.dir, { recursive: true, force: true });
      cleaned.push(state.dir);
    }
    fs.rmSync(STATE_FILE, { force: true });
  }
  cleaned.push(...cleanupSystemState());
  return cleaned;
}

// ---------------------------------------------------------------------------------------
// configuration

function registryTable(o) {
  const ecrHost = (account, region) => `${account}.dkr.ecr.${region}.amazonaws.com`;
  const table = [];
  for (const account of o.ecr.accounts) {
    const host = ecrHost(account.accountId, account.region);
    // moto's GetAuthorizationToken password is "<registryId>-auth-token" (fixed per account)
    table.push({ host, kind: 'ecr', auth: 'basic', realm: `https://${host}/`, users: [{ username: 'AWS', password: `${account.accountId}-auth-token` }] });
  }
  table.push({ host: 'public.ecr.aws', kind: 'ecr-public', auth: 'bearer', tokenPath: '/token/', service: 'public.ecr.aws', users: [{ username: 'AWS', password: o.ecrPublicPassword }] });
  for (const host of o.gcp.registryHosts) {
    table.push({ host, kind: host === 'gcr.io' ? 'gcr' : 'gar', auth: 'bearer', tokenPath: '/v2/token', service: host, users: [{ username: 'oauth2accesstoken', password: o.gcp.accessToken }] });
  }
  table.push({ host: 'ghcr.io', kind: 'ghcr', auth: 'bearer', tokenPath: '/token', service: 'ghcr.io', users: [{ username: o.ghcr.username, password: o.ghcr.token }] });
  // Docker Hub's split: the registry API on registry-1.docker.io, its tokens from auth.docker.io.
  table.push({
    host: 'registry-1.docker.io',
    kind: 'dockerhub',
    auth: 'bearer',
    tokenHost: 'auth.docker.io',
    tokenPath: '/token',
    service: 'registry.docker.io',
    users: [{ username: o.dockerhub.username, password: o.dockerhub.token }],
  });
  return table;
}

/** Where a bearer registry's clients get their tokens (the WWW-Authenticate realm). */
function realmOf(reg) {
  return `https://${reg.tokenHost ?? reg.host}${reg.tokenPath}`;
}

function htpasswdText(users) {
  return users
    .map(({ username, password }) => {
      if (!username || username.includes(':')) throw new Error(`invalid registry username ${JSON.stringify(username)}`);
      return execFileSync('htpasswd', ['-niB', '-C', '5', username], { input: String(password), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
    })
    .join('\n') + '\n';
}

/** Writes an htpasswd file so distribution notices (it re-reads when the mtime changes). */
function writeHtpasswd(file, users) {
  let previous = 0;
  try {
    previous = fs.statSync(file).mtimeMs;
  } catch {
    // new file
  }
  writeFileAtomic(file, htpasswdText(users), 0o600);
  const mtime = Math.max(Date.now(), previous + 1000) / 1000;
  fs.utimesSync(file, mtime, mtime);
}

function registryConfigYaml(reg) {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    '  fields:',
    `    service: ${MARKER}-${reg.host}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${reg.dir}/data`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    '  net: unix',
    `  addr: ${reg.socket}`,
    `  host: https://${reg.host}`,
    `  secret: ${randomToken(24)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'auth:',
    '  htpasswd:',
    `    realm: "${reg.realm ?? `https://${reg.host}${reg.tokenPath}`}"`,
    `    path: ${reg.dir}/htpasswd`,
    '',
  ].join('\n');
}

function makeCertificates(dir, hostnames, ca) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.pem);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/O=${MARKER}/CN=${hostnames[0]}`]);
  fs.writeFileSync(path.join(dir, 'server.ext'), [`subjectAltName=${hostnames.map((h) => `DNS:${h}`).join(',')}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'authorityKeyIdentifier=keyid', ''].join('\n'));
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', ca.keyPath, '-set_serial', `0x${crypto.randomBytes(12).toString('hex')}`, '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  return { caPath: path.join(dir, 'ca.crt'), certPath: path.join(dir, 'server.crt'), keyPath: path.join(dir, 'server.key') };
}

function pythonCandidates(preferred) {
  return [...new Set([preferred, process.env.BUILD_PUSH_E2E_PYTHON, 'python3', path.join(os.homedir(), '.pyenv/shims/python3'), '/usr/bin/python3'].filter(Boolean))];
}

let lastCa; // CA PEM of the most recent startCloud in this process (for registryManifestTls)

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
    lastCa = caPem;

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
      await killRecorded(processes.filter((p) => p.role !== 'supervisor'), 5_000);
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
      dockerhub: { host: 'registry-1.docker.io', username: o.dockerhub.username, token: o.dockerhub.token },
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
// registry client for assertions (Node https with the test CA; never leaves 127.0.0.1)

function httpsLocal(url, { headers = {}, method = 'GET', ca, body } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        servername: u.hostname,
        port: u.port || 443,
        path: `${u.pathname}${u.search}`,
        method,
        headers,
        ca,
        // the name is resolved to 127.0.0.1 here, whatever /etc/hosts says
        lookup: (hostname, opts, cb) => (opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)),
        agent: false,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.end(body);
  });
}

function parseChallenge(header) {
  if (!header) return undefined;
  const match = /^(\w+)\s+(.*)$/.exec(String(header));
  if (!match) return undefined;
  const params = {};
  for (const m of match[2].matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme: match[1].toLowerCase(), ...params };
}

/**
 * GET /v2/<repository>/manifests/<reference> on https://<host> (one of the cloud's
 * registries), answering a Basic or a Bearer challenge with the given credentials.
 * Returns { status, digest, mediaType, json, challenge }.
 */
/** Registries whose tokens come from another host of the stand-in. */
const SEPARATE_TOKEN_HOSTS = { 'registry-1.docker.io': 'auth.docker.io' };

export async function registryManifestTls(host, repository, reference, credentials = {}, { ca = lastCa ?? readCaFallback(), method = 'GET' } = {}) {
  const url = `https://${host}/v2/${repository}/manifests/${reference}`;
  const basic = credentials.username !== undefined ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}` : undefined;
  let response = await httpsLocal(url, { method, ca, headers: { Accept: MANIFEST_TYPES, ...(basic ? { Authorization: basic } : {}) } });
  const challenge = parseChallenge(response.headers['www-authenticate']);
  if (response.status === 401 && challenge?.scheme === 'bearer' && basic) {
    const realm = new URL(challenge.realm);
    const tokenHosts = [host, ...(SEPARATE_TOKEN_HOSTS[host] ? [SEPARATE_TOKEN_HOSTS[host]] : [])];
    if (realm.protocol !== 'https:' || !tokenHosts.includes(realm.hostname)) throw new Error(`refusing to fetch a token from ${challenge.realm} (not ${tokenHosts.join(' or ')})`);
    realm.searchParams.set('service', challenge.service ?? host);
    realm.searchParams.set('scope', challenge.scope ?? `repository:${repository}:pull`);
    const token = await httpsLocal(realm.href, { ca, headers: { Authorization: basic } });
    if (token.status !== 200) return { status: token.status, digest: undefined, mediaType: undefined, json: undefined, challenge, tokenStatus: token.status };
    const { token: bearer, access_token: accessToken } = JSON.parse(token.body);
    response = await httpsLocal(url, { method, ca, headers: { Accept: MANIFEST_TYPES, Authorization: `Bearer ${bearer ?? accessToken}` } });
  }
  let json;
  if (response.status === 200 && method === 'GET') json = JSON.parse(response.body);
  return { status: response.status, digest: response.headers['docker-content-digest'], mediaType: response.headers['content-type'], json, challenge };
}

function readCaFallback() {
  try {
    return ensureCloudCa().pem;
  } catch {
    throw new Error('no cloud CA: call startCloud first');
  }
}

// =======================================================================================
// the supervisor process: `node cloud.mjs serve CONFIG`

async function serve(configPath) {
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
    const keysMade = new Promise((resolve, reject) => crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey }))));
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
    const kid = crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 40);

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

function httpStatus(options) {
  return new Promise((resolve) => {
    const req = http.request({ method: 'GET', agent: false, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2_000, () => req.destroy());
    req.end();
  });
}

// ---------------------------------------------------------------------------------------
// GitHub's OIDC token endpoint

function oidcHandler(config, keys, record) {
  const { privateKey, publicKey, kid } = keys;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, { issuer: GITHUB_ISSUER, jwks_uri: `http://${req.headers.host}/.well-known/jwks`, subject_types_supported: ['public', 'pairwise'], response_types_supported: ['id_token'], id_token_signing_alg_values_supported: ['RS256'], claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'actor', 'workflow'], scopes_supported: ['openid'] });
    }
    if (url.pathname === '/.well-known/jwks') return send(res, 200, { keys: [jwk] });
    const entry = { service: 'oidc', method: req.method, path: url.pathname, audience: url.searchParams.get('audience') };
    const fail = (status, message) => {
      record({ ...entry, status, error: message });
      send(res, status, { message });
    };
    if (url.pathname !== config.oidc.path) return fail(404, 'not found');
    if (req.method !== 'GET') return fail(405, `method ${req.method} not allowed`);
    const auth = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || auth[1].trim() !== config.oidc.requestToken) return fail(401, 'Bad credentials: ACTIONS_ID_TOKEN_REQUEST_TOKEN expected as "Authorization: Bearer <token>"');
    if (url.searchParams.get('api-version') !== '2.0') return fail(400, 'api-version=2.0 is required (it is part of ACTIONS_ID_TOKEN_REQUEST_URL)');
    const audiences = url.searchParams.getAll('audience');
    if (audiences.length > 1) return fail(400, 'audience given more than once');
    const c = config.oidc.claims;
    const owner = String(c.repository).split('/')[0];
    const audience = audiences[0] ?? `https://github.com/${owner}`;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: crypto.randomUUID(),
      sub: `repo:${c.repository}:ref:${c.ref}`,
      aud: audience,
      ref: c.ref,
      sha: c.sha,
      repository: c.repository,
      repository_owner: owner,
      repository_owner_id: '4242',
      repository_id: '424242',
      repository_visibility: 'private',
      run_id: '4242',
      run_number: '7',
      run_attempt: '1',
      actor: c.actor,
      actor_id: '583231',
      workflow: 'ci',
      workflow_ref: `${c.repository}/.github/workflows/ci.yml@${c.ref}`,
      workflow_sha: c.sha,
      job_workflow_ref: `${c.repository}/.github/workflows/ci.yml@${c.ref}`,
      job_workflow_sha: c.sha,
      event_name: 'push',
      ref_type: c.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: 'false',
      runner_environment: 'github-hosted',
      iss: GITHUB_ISSUER,
      nbf: now - 5,
      iat: now,
      exp: now + config.oidc.ttlSeconds,
      ...Object.fromEntries(Object.entries(c).filter(([k]) => !['repository', 'ref', 'sha', 'actor'].includes(k))),
    };
    const token = signJwt(claims, privateKey, kid);
    record({ ...entry, audience, status: 200, sub: claims.sub, jti: claims.jti });
    send(res, 200, { value: token });
  };
}

// ---------------------------------------------------------------------------------------
// Google: STS token exchange and IAM Credentials generateAccessToken

/** `federated`: token -> { expires, sub }, the STS tokens handed out (read by the registry front too). */
function googleHandler(config, oidcPublicKey, record, federated) {
  const provider = config.gcp.workloadIdentityProvider;
  const expectedAudience = `//iam.googleapis.com/${provider}`;
  const allowedOidcAudiences = config.gcp.allowedAudiences ?? [`https://iam.googleapis.com/${provider}`];
  const stsError = (res, entry, status, error, description) => {
    record({ ...entry, status, error, description });
    send(res, status, { error, error_description: description });
  };
  const apiError = (res, entry, code, status, message, details) => {
    record({ ...entry, status: code, error: status, description: message });
    send(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
  };
  const pick = (obj, camel, snake) => (obj[camel] !== undefined ? obj[camel] : obj[snake]);

  return async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let body;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 413, 'too large');
    }
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

    // ---- STS: POST /v1/token
    if (url.pathname === '/v1/token') {
      const entry = { service: 'gcp-sts', method: req.method, path: url.pathname, contentType };
      if (req.method !== 'POST') return stsError(res, entry, 405, 'invalid_request', `Method ${req.method} not allowed.`);
      let fields;
      if (contentType === 'application/json') {
        try {
          fields = JSON.parse(body.toString('utf8') || '{}');
        } catch {
          return stsError(res, entry, 400, 'invalid_request', 'Invalid JSON payload received.');
        }
        entry.format = Object.keys(fields).some((k) => k.includes('_')) ? 'json-snake_case' : 'json-camelCase';
      } else if (contentType === 'application/x-www-form-urlencoded') {
        fields = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        entry.format = 'form';
      } else {
        return stsError(res, entry, 400, 'invalid_request', `Unsupported content type "${contentType}": use application/json or application/x-www-form-urlencoded.`);
      }
      const grantType = pick(fields, 'grantType', 'grant_type');
      const audience = fields.audience;
      const scope = fields.scope;
      const requestedTokenType = pick(fields, 'requestedTokenType', 'requested_token_type');
      const subjectTokenType = pick(fields, 'subjectTokenType', 'subject_token_type');
      const subjectToken = pick(fields, 'subjectToken', 'subject_token');
      Object.assign(entry, { grantType, audience, scope, requestedTokenType, subjectTokenType });
      if (grantType !== STS_GRANT) return stsError(res, entry, 400, 'unsupported_grant_type', `Invalid value for "grant_type": expected ${STS_GRANT}.`);
      if (!/^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]{4,32}\/providers\/[a-z0-9-]{4,32}$/.test(String(audience ?? ''))) {
        return stsError(res, entry, 400, 'invalid_request', 'Invalid value for "audience". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.');
      }
      if (audience !== expectedAudience) {
        return stsError(res, entry, 400, 'invalid_target', 'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.');
      }
      if (requestedTokenType !== TOKEN_TYPE_ACCESS) return stsError(res, entry, 400, 'invalid_request', `Invalid value for "requested_token_type": expected ${TOKEN_TYPE_ACCESS}.`);
      if (subjectTokenType !== TOKEN_TYPE_JWT && subjectTokenType !== TOKEN_TYPE_ID) return stsError(res, entry, 400, 'invalid_request', `Invalid value for "subject_token_type": expected ${TOKEN_TYPE_JWT} or ${TOKEN_TYPE_ID}.`);
      const scopes = String(scope ?? '').split(/\s+/).filter(Boolean);
      if (!scopes.includes(CLOUD_PLATFORM)) return stsError(res, entry, 400, 'invalid_scope', `Invalid value for "scope": ${CLOUD_PLATFORM} is required.`);
      if (!subjectToken) return stsError(res, entry, 400, 'invalid_request', 'Missing required parameter "subject_token".');
      const verified = verifyGithubJwt(subjectToken, oidcPublicKey);
      if (verified.error) return stsError(res, entry, 400, 'invalid_grant', verified.expired ? 'The ID Token has expired.' : `The provided subject_token is not a valid ID token of the provider's issuer: ${verified.error}.`);
      entry.oidcAudience = verified.claims.aud;
      entry.sub = verified.claims.sub;
      const auds = Array.isArray(verified.claims.aud) ? verified.claims.aud : [verified.claims.aud];
      if (!auds.some((a) => allowedOidcAudiences.includes(a))) {
        return stsError(res, entry, 400, 'invalid_grant', `The audience in ID Token [${auds.join(', ')}] does not match the expected audience ${allowedOidcAudiences.join(', ')}.`);
      }
      const accessToken = `ya29.d.${randomToken(96)}`;
      const expiresIn = 3599;
      federated.set(accessToken, { expires: Date.now() + expiresIn * 1000, sub: verified.claims.sub });
      record({ ...entry, status: 200, issued: accessToken }); // a test's leak check looks for it
      return send(res, 200, { access_token: accessToken, issued_token_type: TOKEN_TYPE_ACCESS, token_type: 'Bearer', expires_in: expiresIn });
    }

    // ---- IAM Credentials: POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken
    const m = /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (m) {
      let serviceAccount;
      try {
        serviceAccount = decodeURIComponent(m[2]);
      } catch {
        serviceAccount = m[2];
      }
      const entry = { service: 'gcp-iam', method: req.method, path: url.pathname, contentType, serviceAccount };
      if (req.method !== 'POST') return apiError(res, entry, 405, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed.`);
      const bearer = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      const fed = bearer ? federated.get(bearer[1].trim()) : undefined;
      if (!fed || fed.expires < Date.now()) {
        return apiError(res, entry, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
      }
      if (m[1] !== '-') return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'The project in the resource name must be the wildcard "-" (projects/-/serviceAccounts/...).');
      let request;
      try {
        request = JSON.parse(body.toString('utf8') || '{}');
        if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new Error('not an object');
      } catch {
        return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      }
      Object.assign(entry, { scope: request.scope, lifetime: request.lifetime, delegates: request.delegates });
      const unknown = Object.keys(request).filter((k) => !['scope', 'lifetime', 'delegates'].includes(k));
      if (unknown.length) return apiError(res, entry, 400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${unknown[0]}": Cannot find field.`);
      if (!Array.isArray(request.scope) || request.scope.length === 0 || request.scope.some((s) => typeof s !== 'string' || !s)) {
        return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'Scope required: "scope" must be a non-empty array of OAuth scopes.');
      }
      let lifetime = 3600;
      if (request.lifetime !== undefined) {
        const lm = /^(\d+(?:\.\d{1,9})?)s$/.exec(String(request.lifetime));
        if (!lm) return apiError(res, entry, 400, 'INVALID_ARGUMENT', `Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), "${request.lifetime}"`);
        lifetime = Number(lm[1]);
        if (lifetime < 1 || lifetime > 3600) return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'The lifetime must be between 1s and 3600s (longer only with the iam.allowServiceAccountCredentialLifetimeExtension policy).');
      }
      if (request.delegates !== undefined && !Array.isArray(request.delegates)) return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'Invalid value at \'delegates\': expected an array.');
      if (!config.gcp.serviceAccounts.includes(serviceAccount)) {
        return apiError(res, entry, 403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission: 'iam.serviceAccounts.getAccessToken' } },
        ]);
      }
      const expireTime = new Date(Date.now() + lifetime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      record({ ...entry, status: 200 });
      return send(res, 200, { accessToken: config.gcp.accessToken, expireTime });
    }

    record({ service: 'gcp', method: req.method, path: url.pathname, status: 404 });
    return send(res, 404, { error: { code: 404, message: `The requested URL ${url.pathname} was not found on this server.`, status: 'NOT_FOUND' } });
  };
}

// ---------------------------------------------------------------------------------------
// AWS: a front for moto (STS + ECR) that also serves ecr-public GetAuthorizationToken

function awsHandler(config, oidcPublicKey, motoPort, record) {
  const issued = new Map(); // access key id -> { secret, sessionToken, roleArn, account }
  const requestId = () => crypto.randomUUID();
  const xmlError = (res, entry, status, code, message) => {
    record({ ...entry, status, error: code, description: message });
    const type = status >= 500 ? 'Receiver' : 'Sender';
    const text = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${requestId()}</RequestId>\n</ErrorResponse>\n`;
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId() });
    res.end(text);
  };
  const jsonError = (res, entry, status, code, message) => {
    record({ ...entry, status, error: code, description: message });
    const text = JSON.stringify({ __type: code, message });
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazon.coral.service/`, 'x-amzn-requestid': requestId() });
    res.end(text);
  };
  const forward = (req, body) =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      delete headers.connection;
      const up = http.request({ host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers, agent: false }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
        r.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  const relay = (res, r, body = r.body) => {
    const headers = { ...r.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(r.status, headers);
    res.end(body);
  };

  return async (req, res) => {
    let body;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 413, 'too large');
    }
    const url = new URL(req.url, 'http://127.0.0.1');
    const target = req.headers['x-amz-target'];
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const form = contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(body.toString('utf8')) : url.searchParams;
    const action = target ? String(target) : form.get('Action');
    const scope = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    const entry = { service: 'aws', method: req.method, operation: action, awsService: scope?.[4] ?? (target ? undefined : 'sts'), region: scope?.[3], accessKeyId: scope?.[1] };

    try {
      // ---- STS AssumeRoleWithWebIdentity (unsigned)
      if (action === 'AssumeRoleWithWebIdentity') {
        const roleArn = form.get('RoleArn');
        const sessionName = form.get('RoleSessionName');
        const token = form.get('WebIdentityToken');
        Object.assign(entry, { roleArn, roleSessionName: sessionName, durationSeconds: form.get('DurationSeconds') ?? undefined });
        if (form.get('Version') !== '2011-06-15') return xmlError(res, entry, 400, 'InvalidAction', `Could not find operation AssumeRoleWithWebIdentity for version ${form.get('Version')}`);
        if (!roleArn || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn)) return xmlError(res, entry, 400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must be a valid role ARN`);
        if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName)) return xmlError(res, entry, 400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`);
        if (!token) return xmlError(res, entry, 400, 'ValidationError', "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
        const duration = form.get('DurationSeconds');
        if (duration !== null && !(Number(duration) >= 900 && Number(duration) <= 43200)) return xmlError(res, entry, 400, 'ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
        const verified = verifyGithubJwt(token, oidcPublicKey);
        entry.audience = verified.claims?.aud;
        entry.sub = verified.claims?.sub;
        if (verified.expired) return xmlError(res, entry, 400, 'ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time in the token.');
        if (verified.error) return xmlError(res, entry, 400, 'InvalidIdentityToken', `Couldn't verify the web identity token: ${verified.error}`);
        const auds = Array.isArray(verified.claims.aud) ? verified.claims.aud : [verified.claims.aud];
        if (!auds.some((a) => config.aws.audiences.includes(a))) return xmlError(res, entry, 400, 'InvalidIdentityToken', 'Incorrect token audience');
        if (config.aws.roleArns && !config.aws.roleArns.includes(roleArn)) return xmlError(res, entry, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
        const r = await forward(req, body);
        const text = r.body.toString('utf8');
        const get = (tag) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];
        if (r.status === 200 && get('AccessKeyId')) {
          const account = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn)[1];
          issued.set(get('AccessKeyId'), { secret: get('SecretAccessKey'), sessionToken: get('SessionToken'), roleArn, account });
          entry.issuedAccessKeyId = get('AccessKeyId');
          entry.account = account;
        }
        record({ ...entry, status: r.status });
        return relay(res, r);
      }

      const json = Boolean(target);
      const fail = (status, code, message) => (json ? jsonError(res, entry, status, code, message) : xmlError(res, entry, status, code, message));

      // ---- everything else must be signed with keys the STS above handed out
      if (!scope) return fail(json ? 400 : 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      const key = issued.get(scope[1]);
      if (!key) return fail(json ? 400 : 403, json ? 'UnrecognizedClientException' : 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      if (req.headers['x-amz-security-token'] !== key.sessionToken) return fail(json ? 400 : 403, json ? 'UnrecognizedClientException' : 'InvalidClientTokenId', 'The security token included in the request is invalid (X-Amz-Security-Token missing or not the session token of this access key).');
      entry.account = key.account;
      entry.roleArn = key.roleArn;

      // ---- ECR Public (moto has none): GetAuthorizationToken only
      if (json && String(target).startsWith(ECR_PUBLIC_TARGET)) {
        if (scope[4] !== 'ecr-public') return jsonError(res, entry, 400, 'InvalidSignatureException', `Credential should be scoped to correct service: 'ecr-public'.`);
        if (String(target) !== `${ECR_PUBLIC_TARGET}GetAuthorizationToken`) return jsonError(res, entry, 400, 'UnsupportedCommandException', `${target} is not implemented by the test ECR Public`);
        if (scope[3] !== 'us-east-1') return jsonError(res, entry, 400, 'InvalidSignatureException', `ECR Public's GetAuthorizationToken is served in us-east-1 only; the request was signed for ${scope[3]}.`);
        const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
        record({ ...entry, status: 200 });
        return send(res, 200, { authorizationData: { authorizationToken: Buffer.from(`AWS:${config.aws.ecrPublicPassword}`).toString('base64'), expiresAt } }, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId() });
      }

      // ---- ECR and STS (signed): moto
      const r = await forward(req, body);
      let out = r.body;
      if (r.status === 200 && target === `${ECR_TARGET}GetAuthorizationToken`) {
        // moto says 2015-01-01; ECR's tokens last 12 hours
        const data = JSON.parse(r.body.toString('utf8'));
        const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
        for (const item of data.authorizationData ?? []) item.expiresAt = expiresAt;
        entry.proxyEndpoints = (data.authorizationData ?? []).map((item) => item.proxyEndpoint);
        out = Buffer.from(JSON.stringify(data));
      }
      record({ ...entry, status: r.status });
      return relay(res, r, out);
    } catch (error) {
      record({ ...entry, status: 500, error: error.message });
      if (!res.headersSent) send(res, 500, { message: error.message });
      else res.destroy();
    }
  };
}

function escapeXml(text) {
  return String(text).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
}

// ---------------------------------------------------------------------------------------
// the registries' TLS front on 127.0.0.1:443

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * `federated`: Google STS tokens the stand-in handed out; Artifact Registry hosts take one as
 * the oauth2accesstoken password (direct workload identity), as the real service does when the
 * pool's principal holds the repository's roles.
 */
function registryFront(config, record, federated) {
  const byHost = new Map(config.registries.map((r) => [r.host, r]));
  const byTokenHost = new Map(config.registries.filter((r) => r.tokenHost).map((r) => [r.tokenHost, r]));
  const tokens = new Map(); // bearer -> { host, username, basic, expires }
  const TOKEN_TTL = 3600;

  const backendStatus = (reg, authorization) => httpStatus({ socketPath: reg.socket, path: '/v2/', headers: { authorization, host: reg.host } });

  const scopeFor = (pathname, method) => {
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(pathname);
    if (m) return `repository:${m[1]}:${method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push'}`;
    if (pathname === '/v2/_catalog') return 'registry:catalog:*';
    return undefined;
  };

  async function tokenEndpoint(reg, req, res, url) {
    const entry = { service: 'registry-token', host: reg.tokenHost ?? reg.host, method: req.method, path: url.pathname, agent: String(req.headers['user-agent'] ?? '') };
    let username;
    let password;
    let scopes = url.searchParams.getAll('scope');
    if (req.method === 'POST') {
      const body = new URLSearchParams((await readBody(req)).toString('utf8'));
      entry.grantType = body.get('grant_type');
      if (body.get('grant_type') !== 'password') {
        record({ ...entry, status: 400, error: 'unsupported_grant_type' });
        return send(res, 400, { error: 'unsupported_grant_type', error_description: 'only grant_type=password is supported' });
      }
      username = body.get('username');
      password = body.get('password');
      scopes = body.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    } else if (req.method === 'GET') {
      const basic = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    } else {
      record({ ...entry, status: 405 });
      return send(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'method not allowed' }] });
    }
    Object.assign(entry, { user: username, scope: scopes.join(' ') || undefined, serviceParam: url.searchParams.get('service') ?? undefined });
    if (username === undefined || password === undefined) {
      record({ ...entry, status: 401, error: 'no credentials' });
      return send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Basic realm="${realmOf(reg)}"` });
    }
    const directIdentity = (reg.kind === 'gar' || reg.kind === 'gcr') && username === 'oauth2accesstoken' && (federated.get(password)?.expires ?? 0) > Date.now();
    if (directIdentity) {
      // The backend knows one password per user: the federated token stands for the principal.
      entry.principal = `federated:${federated.get(password).sub}`;
      password = config.gcp.accessToken;
    }
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const status = await backendStatus(reg, authorization);
    if (status !== 200) {
      record({ ...entry, status: 401, error: 'bad credentials' });
      return send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: invalid username or password' }] });
    }
    const token = `${reg.kind}_${randomToken(32)}`;
    tokens.set(token, { host: reg.host, username, basic: authorization, expires: Date.now() + TOKEN_TTL * 1000 });
    record({ ...entry, status: 200 });
    const issuedAt = new Date().toISOString();
    return send(res, 200, req.method === 'POST' ? { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL, scope: scopes.join(' '), issued_at: issuedAt } : { token, access_token: token, expires_in: TOKEN_TTL, issued_at: issuedAt });
  }

  const handler = async (req, res) => {
    const hostHeader = String(req.headers.host ?? req.socket.servername ?? '').toLowerCase().replace(/:443$/, '');
    const url = new URL(req.url, 'https://127.0.0.1');
    const tokenService = byTokenHost.get(hostHeader);
    if (tokenService) {
      if (url.pathname !== tokenService.tokenPath) {
        record({ service: 'registry-token', host: hostHeader, method: req.method, path: url.pathname, status: 404 });
        return send(res, 404, { details: 'not found' });
      }
      try {
        return await tokenEndpoint(tokenService, req, res, url);
      } catch (error) {
        if (!res.headersSent) send(res, 500, { details: error.message });
        return;
      }
    }
    const reg = byHost.get(hostHeader);
    if (!reg) {
      record({ service: 'registry', host: hostHeader, method: req.method, path: url.pathname, status: 421 });
      return send(res, 421, { errors: [{ code: 'UNKNOWN', message: `no registry for host ${hostHeader}` }] });
    }
    try {
      if (reg.auth === 'bearer' && !reg.tokenHost && url.pathname === reg.tokenPath) return await tokenEndpoint(reg, req, res, url);
    } catch (error) {
      if (!res.headersSent) send(res, 500, { errors: [{ code: 'UNKNOWN', message: error.message }] });
      return;
    }

    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.includes(name)) headers[name] = value;
    headers['x-forwarded-proto'] = 'https';
    headers.host = reg.host;
    // The user agent tells the step's own requests from dockerd's and BuildKit's.
    const entry = { service: 'registry', host: reg.host, method: req.method, path: url.pathname, auth: 'none', agent: String(req.headers['user-agent'] ?? '') };
    const authz = String(req.headers.authorization ?? '');
    const bearer = /^bearer\s+(.+)$/i.exec(authz);
    const basic = /^basic\s+(.+)$/i.exec(authz);
    if (bearer) {
      const t = tokens.get(bearer[1].trim());
      entry.auth = 'bearer';
      if (t && t.host === reg.host && t.expires > Date.now()) {
        headers.authorization = t.basic;
        entry.user = t.username;
      } else {
        delete headers.authorization; // unknown/expired: the registry challenges again
        entry.auth = 'bearer-invalid';
      }
    } else if (basic) {
      entry.auth = 'basic';
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      entry.user = decoded.slice(0, decoded.indexOf(':'));
    }

    const upstream = http.request({ socketPath: reg.socket, method: req.method, path: req.url, headers, agent: false }, (up) => {
      const out = {};
      for (const [name, value] of Object.entries(up.headers)) if (!HOP_BY_HOP.includes(name)) out[name] = value;
      if (up.statusCode === 401 && reg.auth === 'bearer') {
        const scope = scopeFor(url.pathname, req.method);
        out['www-authenticate'] = `Bearer realm="${realmOf(reg)}",service="${reg.service}"${scope ? `,scope="${scope}"` : ''}`;
      }
      record({ ...entry, status: up.statusCode });
      res.writeHead(up.statusCode, out);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      record({ ...entry, status: 502, error: error.message });
      if (!res.headersSent) send(res, 502, { errors: [{ code: 'UNAVAILABLE', message: `registry backend: ${error.message}` }] });
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const server = https.createServer(
    {
      cert: fs.readFileSync(config.tls.certPath),
      key: fs.readFileSync(config.tls.keyPath),
      // long pushes: no overall request timeout; keep idle connections longer than Go's 90 s
      requestTimeout: 0,
      headersTimeout: 120_000,
      keepAliveTimeout: 150_000,
    },
    (req, res) => void handler(req, res),
  );
  server.on('tlsClientError', () => {}); // e.g. a client without our CA: nothing to do
  return server;
}

function plainHttpRefusal(config, record) {
  const hosts = new Set(config.registries.map((r) => r.host));
  return http.createServer((req, res) => {
    const host = String(req.headers.host ?? '').toLowerCase().replace(/:80$/, '');
    const url = new URL(req.url, 'http://127.0.0.1');
    record({ service: 'registry-plain-http', host, method: req.method, path: url.pathname, status: 401 });
    req.resume();
    const realm = hosts.has(host) ? `https://${host}/` : 'plain-http';
    send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Basic realm="${realm}"`, 'docker-distribution-api-version': 'registry/2.0' });
  });
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
