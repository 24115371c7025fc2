// A TLS front on 127.0.0.1:443 routing by Host to one registry per hostname, speaking each
// registry's auth dialect: ECR answers Basic challenges; ghcr.io, *.pkg.dev, gcr.io and
// public.ecr.aws answer Bearer challenges with a token endpoint at the real realm path;
// registry-1.docker.io gets its tokens from auth.docker.io, as Docker Hub does. Plus the
// plain-HTTP refusal on port 80.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { randomToken, readBody, send, httpStatus } from './util.mjs';
import { realmOf } from './registries.mjs';

// ---------------------------------------------------------------------------------------
// the registries' TLS front on 127.0.0.1:443

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * `federated`: Google STS tokens the stand-in handed out; Artifact Registry hosts take one as
 * the oauth2accesstoken password (direct workload identity), as the real service does when the
 * pool's principal holds the repository's roles.
 */
export function registryFront(config, record, federated) {
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
      scopes = body
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter(Boolean);
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
    return send(
      res,
      200,
      req.method === 'POST'
        ? { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL, scope: scopes.join(' '), issued_at: issuedAt }
        : { token, access_token: token, expires_in: TOKEN_TTL, issued_at: issuedAt },
    );
  }

  const handler = async (req, res) => {
    const hostHeader = String(req.headers.host ?? req.socket.servername ?? '')
      .toLowerCase()
      .replace(/:443$/, '');
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

export function plainHttpRefusal(config, record) {
  const hosts = new Set(config.registries.map((r) => r.host));
  return http.createServer((req, res) => {
    const host = String(req.headers.host ?? '')
      .toLowerCase()
      .replace(/:80$/, '');
    const url = new URL(req.url, 'http://127.0.0.1');
    record({ service: 'registry-plain-http', host, method: req.method, path: url.pathname, status: 401 });
    req.resume();
    const realm = hosts.has(host) ? `https://${host}/` : 'plain-http';
    send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Basic realm="${realm}"`, 'docker-distribution-api-version': 'registry/2.0' });
  });
}
