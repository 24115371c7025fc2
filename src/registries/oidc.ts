import { ActionError } from '../errors.js';
import type { Env } from '../context.js';
import type { MaskSecret } from '../inputs.js';

export const ID_TOKEN_PERMISSION_HINT =
  'GitHub did not give this job an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Add `permissions: id-token: write` to the job (pull requests from forks never get one).';

/**
 * Fetches a GitHub OIDC token for `audience` from the runner's token service, as
 * core.getIDToken does. The token is masked before it is returned.
 */
export async function githubIdToken(audience: string, env: Env, mask: MaskSecret, fetchImpl: typeof fetch = fetch): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) throw new ActionError(ID_TOKEN_PERMISSION_HINT);
  const requestUrl = `${url}${url.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`;
  const response = await fetchImpl(requestUrl, { headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } });
  if (!response.ok) {
    throw new ActionError(`the GitHub OIDC token service answered ${response.status} for audience ${audience}`);
  }
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (typeof body.value !== 'string' || body.value === '') throw new ActionError('the GitHub OIDC token service returned no token');
  mask(body.value);
  return body.value;
}
