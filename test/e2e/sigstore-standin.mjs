// Local Sigstore stand-ins on 127.0.0.1 for the signing e2e: Fulcio (its CT log inside it),
// Rekor and a timestamp authority, whose logic comes from @sigstore/mock (built from Sigstore's
// own code), served over real HTTP so @sigstore/sign talks to them as to the real services. Run as
// its own process (node test/e2e/sigstore-standin.mjs --trusted-root FILE): @sigstore/mock's
// package index loads nock, so only its service modules are imported here, never the index.
// Writes trusted_root.json (sigstore protobuf-specs TrustedRoot) made from the services' keys,
// then prints one JSON line: { fulcioURL, rekorURL, tsaURL, trustedRoot, oidc }. With
// --repository OWNER/NAME it also answers as GitHub's OIDC token endpoint for a job of that
// repository (test/e2e/cloud/oidc.mjs, RS256 tokens with the runner's claims): `oidc` holds
// ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN for the step, and the issuer's discovery URL.
//
// Unlike the real services: Fulcio does not check the OIDC token's signature (it reads its
// claims, and names the certificate as the real one does for GitHub: the workflow); Rekor logs each entry as the only leaf of a fresh tree (the inclusion proof and
// checkpoint are real, the log is not append-only across entries). Rekor stores a dsse entry
// as the real one does (its hashes and signatures, not the proposed envelope), which
// verifiers compare with the bundle; @sigstore/mock's own handler would store the proposal.
import { generateKeyPairSync, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { oidcHandler } from './cloud/oidc.mjs';

const require = createRequire(import.meta.url);
const { fulcioHandler, initializeCA, initializeCTLog } = require('@sigstore/mock/dist/fulcio/index.js');
const { initializeTSA, tsaHandler } = require('@sigstore/mock/dist/timestamp/index.js');
const { initializeTLog } = require('@sigstore/mock/dist/rekor/index.js');

const option = (name) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const trustedRootFile = option('trusted-root');
const repository = option('repository');
// --issuer-self: tokens name this stand-in as their issuer (iss), so @actions/attest can check
// them against its keys; otherwise they say GitHub's issuer, as on a hosted runner.
const issuerSelf = process.argv.includes('--issuer-self');
// --github-token T: also answer as GitHub's attestations API (POST /repos/{owner}/{repo}/attestations) for T.
const githubToken = option('github-token');
if (!trustedRootFile) throw new Error('usage: sigstore-standin.mjs --trusted-root FILE');

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ctlogKeys = keyPair();
const ctlog = await initializeCTLog(ctlogKeys);
const ca = await initializeCA(keyPair(), ctlog);
// The TSA's clock: now, in whole seconds. It writes genTime with the milliseconds pkijs gives
// (trailing zeros dropped: ".34"), and @sigstore/core reads a fraction only as three digits.
const wholeSecondsNow = new Proxy(new Date(), {
  get(_, key) {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const value = now[key];
    return typeof value === 'function' ? value.bind(now) : value;
  },
});
const tsa = await initializeTSA(keyPair(), wholeSecondsNow);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** What Rekor stores for a proposed dsse v0.0.1 entry: the envelope's and payload's hashes and the signatures with their verifiers. */
function canonicalDsseEntry(proposed) {
  const content = proposed?.spec?.proposedContent;
  if (proposed?.kind !== 'dsse' || proposed?.apiVersion !== '0.0.1' || typeof content?.envelope !== 'string') throw new Error('only dsse 0.0.1 entries are accepted');
  const envelope = JSON.parse(content.envelope);
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((signature, index) => ({ signature: signature.sig, verifier: content.verifiers[index] ?? content.verifiers[0] })),
    },
  };
}

/**
 * Fulcio, naming the certificate as the real one names a GitHub Actions token's: the SAN is
 * the workflow, `https://github.com/<job_workflow_ref>` (the mock would use `sub`). The mock
 * reads the subject from a claim, so the token is handed on with that claim added.
 */
function githubFulcio() {
  const handler = fulcioHandler(ca, { strict: true, subjectClaim: 'fulcio_subject' });
  return {
    path: handler.path,
    fn: (body) => {
      const request = JSON.parse(body);
      const [header, payload, signature] = String(request.credentials?.oidcIdentityToken ?? '').split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8') || '{}');
      claims.fulcio_subject = claims.job_workflow_ref ? `https://github.com/${claims.job_workflow_ref}` : claims.sub;
      request.credentials.oidcIdentityToken = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      return handler.fn(JSON.stringify(request));
    },
  };
}

// Handlers are created once the server has its address (Rekor's checkpoint names its host).
const handlers = [githubFulcio(), tsaHandler(tsa, { strict: true })];

const server = createServer((request, response) => {
  const handler = handlers.find((entry) => entry.path === new URL(request.url ?? '/', 'http://x').pathname);
  if (!handler || request.method !== 'POST') {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    handler
      .fn(Buffer.concat(chunks).toString('utf8'))
      .then(({ statusCode, response: body, contentType }) => {
        response.writeHead(statusCode, { 'content-type': contentType ?? 'application/json' });
        response.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      })
      .catch((error) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) })));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const rekorKeys = keyPair();
const tlog = await initializeTLog(base, rekorKeys);
handlers.push({
  path: '/api/v1/log/entries',
  fn: async (body) => {
    try {
      return { statusCode: 201, response: JSON.stringify(await tlog.log(canonicalDsseEntry(JSON.parse(body)))), contentType: 'application/json' };
    } catch (error) {
      return { statusCode: 400, response: JSON.stringify({ code: 400, message: String(error.message ?? error) }) };
    }
  },
});

const der = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
const since = { start: new Date(Date.now() - 24 * 3600 * 1000).toISOString() };
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [
    {
      baseUrl: base,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: tlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: since },
      logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
    },
  ],
  certificateAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: base, certChain: { certificates: [{ rawBytes: der(ca.rootCertificate) }] }, validFor: since }],
  ctlogs: [
    {
      baseUrl: base,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: ctlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: since },
      logId: { keyId: createHash('sha256').update(ctlog.publicKey).digest('base64') },
    },
  ],
  // The TSA's tokens carry no certificates: the chain here is leaf first, root last.
  timestampAuthorities: [
    {
      subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri: base,
      certChain: { certificates: [{ rawBytes: der(tsa.intCertificate) }, { rawBytes: der(tsa.rootCertificate) }] },
      validFor: since,
    },
  ],
};
writeFileSync(trustedRootFile, `${JSON.stringify(trustedRoot)}\n`);
let oidc;
if (repository) {
  const keys = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }), kid: 'standin' };
  const config = {
    oidc: {
      path: '/token',
      requestToken: randomBytes(24).toString('base64url'),
      ttlSeconds: 300,
      claims: { repository, ref: 'refs/heads/main', sha: '0123456789abcdef0123456789abcdef01234567', actor: 'octocat' },
    },
  };
  const oidcServer = createServer(oidcHandler(config, keys, () => undefined));
  await new Promise((resolve) => oidcServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${oidcServer.address().port}`;
  if (issuerSelf) config.oidc.claims.iss = url;
  oidc = { requestUrl: `${url}/token?api-version=2.0`, requestToken: config.oidc.requestToken, issuerUrl: url };
}

// GitHub's attestations API, as actions/attest's client calls it; GET /_received lists what it stored.
let githubApi;
if (githubToken) {
  const received = [];
  const api = createServer((request, response) => {
    const reply = (status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(request.url ?? '/', 'http://x');
    if (request.method === 'GET' && url.pathname === '/_received') return reply(200, received);
    const match = /^\/repos\/([^/]+)\/([^/]+)\/attestations$/.exec(url.pathname);
    if (request.method !== 'POST' || !match) return reply(404, { message: 'Not Found' });
    const token = /^(?:token|bearer) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    // `<token>-readonly` is a token without attestations: write, answered as GitHub answers it.
    if (token === `${githubToken}-readonly`) return reply(403, { message: 'Resource not accessible by integration' });
    if (token !== githubToken) return reply(401, { message: 'Bad credentials' });
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let bundle;
      try {
        bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')).bundle;
      } catch {
        return reply(400, { message: 'Problems parsing JSON' });
      }
      if (typeof bundle?.mediaType !== 'string' || !bundle.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) return reply(422, { message: 'Invalid bundle' });
      received.push({ owner: match[1], repo: match[2], bundle });
      reply(201, { id: 1000 + received.length });
    });
  });
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  githubApi = `http://127.0.0.1:${api.address().port}`;
}
process.stdout.write(`${JSON.stringify({ fulcioURL: base, rekorURL: base, tsaURL: base, trustedRoot: trustedRootFile, ...(oidc ? { oidc } : {}), ...(githubApi ? { githubApi } : {}) })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
