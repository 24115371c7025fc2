// AWS: moto (STS, ECR) behind a small front that checks the web identity token, checks
// that later calls are signed with the issued keys, gives ECR's real 12-hour expiry, and
// answers ecr-public GetAuthorizationToken (moto has no ecr-public). The supervisor starts
// moto itself, with the first of pythonCandidates() that runs it.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBody, send } from './util.mjs';
import { verifyGithubJwt } from './oidc.mjs';

const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.';
const ECR_PUBLIC_TARGET = 'SpencerFrontendService.';

// ---------------------------------------------------------------------------------------
// AWS: a front for moto (STS + ECR) that also serves ecr-public GetAuthorizationToken

export function awsHandler(config, oidcPublicKey, motoPort, record) {
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
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazon.coral.service/`,
      'x-amzn-requestid': requestId(),
    });
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
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
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
        if (!roleArn || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn))
          return xmlError(res, entry, 400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must be a valid role ARN`);
        if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName))
          return xmlError(
            res,
            entry,
            400,
            'ValidationError',
            `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
          );
        if (!token) return xmlError(res, entry, 400, 'ValidationError', "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
        const duration = form.get('DurationSeconds');
        if (duration !== null && !(Number(duration) >= 900 && Number(duration) <= 43200))
          return xmlError(
            res,
            entry,
            400,
            'ValidationError',
            `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
          );
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
      if (req.headers['x-amz-security-token'] !== key.sessionToken)
        return fail(
          json ? 400 : 403,
          json ? 'UnrecognizedClientException' : 'InvalidClientTokenId',
          'The security token included in the request is invalid (X-Amz-Security-Token missing or not the session token of this access key).',
        );
      entry.account = key.account;
      entry.roleArn = key.roleArn;

      // ---- ECR Public (moto has none): GetAuthorizationToken only
      if (json && String(target).startsWith(ECR_PUBLIC_TARGET)) {
        if (scope[4] !== 'ecr-public') return jsonError(res, entry, 400, 'InvalidSignatureException', `Credential should be scoped to correct service: 'ecr-public'.`);
        if (String(target) !== `${ECR_PUBLIC_TARGET}GetAuthorizationToken`) return jsonError(res, entry, 400, 'UnsupportedCommandException', `${target} is not implemented by the test ECR Public`);
        if (scope[3] !== 'us-east-1')
          return jsonError(res, entry, 400, 'InvalidSignatureException', `ECR Public's GetAuthorizationToken is served in us-east-1 only; the request was signed for ${scope[3]}.`);
        const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
        record({ ...entry, status: 200 });
        return send(
          res,
          200,
          { authorizationData: { authorizationToken: Buffer.from(`AWS:${config.aws.ecrPublicPassword}`).toString('base64'), expiresAt } },
          { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId() },
        );
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

export function pythonCandidates(preferred) {
  return [...new Set([preferred, process.env.BUILD_PUSH_E2E_PYTHON, 'python3', path.join(os.homedir(), '.pyenv/shims/python3'), '/usr/bin/python3'].filter(Boolean))];
}
