// GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN), RS256 JWTs; the
// Google and AWS stand-ins check the web identity tokens they get with verifyGithubJwt.
import * as crypto from 'node:crypto';
import { b64url, send } from './util.mjs';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

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
export function verifyGithubJwt(token, publicKey, now = Date.now() / 1000) {
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
// GitHub's OIDC token endpoint

export function oidcHandler(config, keys, record) {
  const { privateKey, publicKey, kid } = keys;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: GITHUB_ISSUER,
        jwks_uri: `http://${req.headers.host}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'actor', 'workflow'],
        scopes_supported: ['openid'],
      });
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
