// System state for the cloud stand-in, marker-based so a crashed run can be undone:
//
//   * a persistent test CA (E2E_HOME/cloud-ca) and a fresh server certificate for the real
//     registry hostnames; the CA is trusted system-wide (update-ca-certificates: CLIs, and
//     dockerd's token requests) and per registry in /etc/docker/certs.d
//   * /etc/hosts lines sending those hostnames to 127.0.0.1 (tagged "# build-push-e2e")
//   * the state file of the running cloud, and the clean-up of what a crashed run left
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileAsync, sleep, pidAlive, cmdlineOf, readJson } from './util.mjs';

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
export const PERSISTENT_SYSTEM_CA = `/usr/local/share/ca-certificates/${MARKER}-ca.crt`; // install-ca: kept
const SYSTEM_CA = `/usr/local/share/ca-certificates/${MARKER}.crt`; // a run's own install: removed by stop()
const SYSTEM_CA_LINK = `/etc/ssl/certs/${MARKER}.pem`;
const CERTS_D = '/etc/docker/certs.d';
const CERTS_D_MARKER = `.${MARKER}`;
export const STATE_FILE = `/tmp/${MARKER}-cloud.state.json`;

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

export function hostsAdd(hostnames) {
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
export function certsDirsAdd(hostnames, caPem) {
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
export async function systemCaAdd(caPem) {
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
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '3650',
        '-subj',
        `/O=${MARKER}/CN=${MARKER} test CA ${stamp}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-addext',
        'subjectKeyIdentifier=hash',
      ],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
export function cleanupSystemState() {
  const done = [];
  if (hostsRemoveTagged()) done.push('hosts');
  if (certsDirsRemoveTagged()) done.push('certs.d');
  if (systemCaRemove()) done.push('ca');
  return done;
}

export async function killRecorded(processes, timeoutMs = 10_000) {
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
// the run's server certificate, signed by the test CA

export function makeCertificates(dir, hostnames, ca) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.pem);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/O=${MARKER}/CN=${hostnames[0]}`]);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    [
      `subjectAltName=${hostnames.map((h) => `DNS:${h}`).join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    ca.keyPath,
    '-set_serial',
    `0x${crypto.randomBytes(12).toString('hex')}`,
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  return { caPath: path.join(dir, 'ca.crt'), certPath: path.join(dir, 'server.crt'), keyPath: path.join(dir, 'server.key') };
}
