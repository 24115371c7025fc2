// The test side's registry client for assertions (registryManifestTls): Node https with
// the test CA; never leaves 127.0.0.1.
import * as https from 'node:https';
import { DOCKER_HUB } from './registries.mjs';
import { ensureCloudCa } from './system.mjs';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

let lastCa; // CA PEM of the most recent startCloud in this process (for registryManifestTls)

/** Called by startCloud with the CA of its run. */
export function rememberCa(pem) {
  lastCa = pem;
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

/** Registries whose tokens come from another host of the stand-in. */
const SEPARATE_TOKEN_HOSTS = { [DOCKER_HUB.registry]: DOCKER_HUB.tokens };

/**
 * GET /v2/<repository>/manifests/<reference> on https://<host> (one of the cloud's
 * registries), answering a Basic or a Bearer challenge with the given credentials.
 * Returns { status, digest, mediaType, json, challenge }.
 */
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
