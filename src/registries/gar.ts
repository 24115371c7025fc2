import { ActionError } from '../errors.js';
import { proxiedFetch } from '../proxy.js';
import { githubIdToken, type Credential, type CredentialProvider, type ProviderEnvironment } from './provider.js';

/** `<region>-docker.pkg.dev`; the group is the region. */
export const GAR_HOST = /^([a-z0-9-]+)-docker\.pkg\.dev$/;
const GCR_HOST = /^(?:[a-z]+\.)?gcr\.io$/;
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Endpoints, overridable so tests can point them at local servers. */
export function googleEndpoints(env: Readonly<Record<string, string | undefined>>): { sts: string; iamCredentials: string } {
  return {
    sts: env.BUILD_PUSH_GCP_STS_URL || 'https://sts.googleapis.com/v1/token',
    iamCredentials: (env.BUILD_PUSH_GCP_IAM_CREDENTIALS_URL || 'https://iamcredentials.googleapis.com').replace(/\/+$/, ''),
  };
}

async function googleJson(url: string, init: RequestInit, what: string): Promise<Record<string, unknown>> {
  const response = await proxiedFetch(url, init);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = body.error as { message?: string } | string | undefined;
    const detail = typeof error === 'string' ? `${error}: ${String(body.error_description ?? '')}` : (error?.message ?? '');
    throw new ActionError(`${what} failed (${response.status}): ${detail}`);
  }
  return body;
}

/**
 * GitHub OIDC token → Google STS federated token → service account access token (as
 * google-github-actions/auth does). Without a service account the federated token is the
 * access token: direct workload identity, where the pool's principal itself holds the
 * repository's roles.
 */
async function federatedAccessToken({ inputs, env, mask }: ProviderEnvironment): Promise<string> {
  const provider = inputs.gcpWorkloadIdentityProvider;
  const endpoints = googleEndpoints(env);
  const oidcToken = await githubIdToken(`https://iam.googleapis.com/${provider}`, env);
  const exchanged = await googleJson(
    endpoints.sts,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        audience: `//iam.googleapis.com/${provider}`,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        scope: CLOUD_PLATFORM_SCOPE,
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        subjectToken: oidcToken,
      }),
    },
    `Google STS token exchange for ${provider}`,
  );
  const federated = exchanged.access_token;
  if (typeof federated !== 'string' || !federated) throw new ActionError('Google STS returned no access token');
  mask(federated);
  const account = inputs.gcpServiceAccount;
  if (!account) return federated;
  const generated = await googleJson(
    `${endpoints.iamCredentials}/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateAccessToken`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${federated}` },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM_SCOPE], lifetime: '3600s' }),
    },
    `IAM Credentials generateAccessToken for ${account} (does the workload identity pool's principal have roles/iam.workloadIdentityUser on it?)`,
  );
  const accessToken = generated.accessToken;
  if (typeof accessToken !== 'string' || !accessToken) throw new ActionError('IAM Credentials returned no access token');
  mask(accessToken);
  return accessToken;
}

// One token per run, shared by every Google registry host.
const tokens = new WeakMap<ProviderEnvironment, Promise<string>>();

/** Google Artifact Registry (`<region>-docker.pkg.dev`) and Container Registry (`gcr.io`). */
export const garProvider: CredentialProvider = {
  name: 'google artifact registry',
  matches: (registry) => GAR_HOST.test(registry) || GCR_HOST.test(registry),
  configured: (_registry, inputs) =>
    inputs.gcpAccessToken || inputs.gcpWorkloadIdentityProvider
      ? { ok: true }
      : { ok: false, missing: 'gcp-workload-identity-provider (with permissions: id-token: write; gcp-service-account to impersonate one), or gcp-access-token' },
  credential: async (registry, environment): Promise<Credential> => {
    let token = tokens.get(environment);
    if (!token) {
      token = environment.inputs.gcpAccessToken ? Promise.resolve(environment.inputs.gcpAccessToken) : federatedAccessToken(environment);
      tokens.set(environment, token);
      // A failed exchange is not kept: a retry asks Google again.
      token.catch(() => tokens.delete(environment));
    }
    return { registry, username: 'oauth2accesstoken', password: await token, provider: 'google artifact registry' };
  },
};
