import type { Context, Env } from './context.js';
import { errorMessage } from './errors.js';
import type { RepositoryInfo } from './tags/metadata.js';

/** Repository facts from the event payload, when it carries them (push, pull_request, release, ...). */
export function repositoryFromPayload(payload: Readonly<Record<string, unknown>>): RepositoryInfo | undefined {
  const repo = payload.repository as Record<string, unknown> | undefined;
  if (!repo || typeof repo.name !== 'string' || typeof repo.html_url !== 'string') return undefined;
  const license = (repo.license as { spdx_id?: unknown } | null | undefined)?.spdx_id;
  return {
    name: repo.name,
    description: typeof repo.description === 'string' ? repo.description : '',
    htmlUrl: repo.html_url,
    ...(typeof license === 'string' && license !== 'NOASSERTION' ? { license } : {}),
    ...(typeof repo.default_branch === 'string' ? { defaultBranch: repo.default_branch } : {}),
  };
}

/**
 * Repository facts for the OCI labels: from the payload, else one GitHub API request
 * with the token. Any failure is a warning: labels are never worth a failed build.
 */
export async function repositoryInfo(context: Context, token: string, env: Env, warn: (message: string) => void): Promise<RepositoryInfo | undefined> {
  const fromPayload = repositoryFromPayload(context.payload);
  if (fromPayload) return fromPayload;
  if (!context.repository) return undefined;
  const api = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  try {
    const response = await fetch(`${api}/repos/${context.repository}`, {
      headers: { Accept: 'application/vnd.github+json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return repositoryFromPayload({ repository: await response.json() });
  } catch (error) {
    warn(`could not read repository ${context.repository} from the GitHub API (${errorMessage(error)}); the OCI labels use what the event payload has`);
    return undefined;
  }
}
