// The registries behind the TLS front: one registry (distribution 2.8, htpasswd, unix
// socket) per hostname, each with its auth dialect (registryTable), its htpasswd file and
// its configuration. startCloud writes them; the supervisor runs them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { randomToken, writeFileAtomic } from './util.mjs';
import { MARKER } from './system.mjs';

// ---------------------------------------------------------------------------------------
// configuration

export function registryTable(o) {
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
  table.push({
    host: DOCKER_HUB.registry,
    kind: 'dockerhub',
    auth: 'bearer',
    tokenHost: DOCKER_HUB.tokens,
    tokenPath: '/token',
    service: 'registry.docker.io',
    users: [{ username: o.dockerhub.username, password: o.dockerhub.token }],
  });
  return table;
}

/** Docker Hub's split: the registry API on one host, its tokens from another. */
export const DOCKER_HUB = { registry: 'registry-1.docker.io', tokens: 'auth.docker.io' };

/** Where a bearer registry's clients get their tokens (the WWW-Authenticate realm). */
export function realmOf(reg) {
  return `https://${reg.tokenHost ?? reg.host}${reg.tokenPath}`;
}

function htpasswdText(users) {
  return (
    users
      .map(({ username, password }) => {
        if (!username || username.includes(':')) throw new Error(`invalid registry username ${JSON.stringify(username)}`);
        return execFileSync('htpasswd', ['-niB', '-C', '5', username], { input: String(password), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
      })
      .join('\n') + '\n'
  );
}

/** Writes an htpasswd file so distribution notices (it re-reads when the mtime changes). */
export function writeHtpasswd(file, users) {
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

export function registryConfigYaml(reg) {
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
