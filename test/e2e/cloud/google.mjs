// Google STS (POST /v1/token) and IAM Credentials generateAccessToken.
import { randomToken, readBody, send } from './util.mjs';
import { verifyGithubJwt } from './oidc.mjs';

const STS_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
const TOKEN_TYPE_ID = 'urn:ietf:params:oauth:token-type:id_token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

// ---------------------------------------------------------------------------------------
// Google: STS token exchange and IAM Credentials generateAccessToken

/** `federated`: token -> { expires, sub }, the STS tokens handed out (read by the registry front too). */
export function googleHandler(config, oidcPublicKey, record, federated) {
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
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();

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
        return stsError(
          res,
          entry,
          400,
          'invalid_request',
          'Invalid value for "audience". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.',
        );
      }
      if (audience !== expectedAudience) {
        return stsError(
          res,
          entry,
          400,
          'invalid_target',
          'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.',
        );
      }
      if (requestedTokenType !== TOKEN_TYPE_ACCESS) return stsError(res, entry, 400, 'invalid_request', `Invalid value for "requested_token_type": expected ${TOKEN_TYPE_ACCESS}.`);
      if (subjectTokenType !== TOKEN_TYPE_JWT && subjectTokenType !== TOKEN_TYPE_ID)
        return stsError(res, entry, 400, 'invalid_request', `Invalid value for "subject_token_type": expected ${TOKEN_TYPE_JWT} or ${TOKEN_TYPE_ID}.`);
      const scopes = String(scope ?? '')
        .split(/\s+/)
        .filter(Boolean);
      if (!scopes.includes(CLOUD_PLATFORM)) return stsError(res, entry, 400, 'invalid_scope', `Invalid value for "scope": ${CLOUD_PLATFORM} is required.`);
      if (!subjectToken) return stsError(res, entry, 400, 'invalid_request', 'Missing required parameter "subject_token".');
      const verified = verifyGithubJwt(subjectToken, oidcPublicKey);
      if (verified.error)
        return stsError(
          res,
          entry,
          400,
          'invalid_grant',
          verified.expired ? 'The ID Token has expired.' : `The provided subject_token is not a valid ID token of the provider's issuer: ${verified.error}.`,
        );
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
        return apiError(
          res,
          entry,
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
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
        if (lifetime < 1 || lifetime > 3600)
          return apiError(res, entry, 400, 'INVALID_ARGUMENT', 'The lifetime must be between 1s and 3600s (longer only with the iam.allowServiceAccountCredentialLifetimeExtension policy).');
      }
      if (request.delegates !== undefined && !Array.isArray(request.delegates)) return apiError(res, entry, 400, 'INVALID_ARGUMENT', "Invalid value at 'delegates': expected an array.");
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
