import type { Context } from '../plan/context.js';
import { errorMessage } from '../errors.js';
import type { RepositoryInfo } from '../tags/metadata.js';

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
 * (Octokit from @actions/github, loaded only here) with the token. Any failure is a
 * warning: labels are never worth a failed build.
 */
export async function repositoryInfo(context: Context, token: string, warn: (message: string) => void): Promise<RepositoryInfo | undefined> {
  const fromPayload = repositoryFromPayload(context.payload);
  if (fromPayload) return fromPayload;
  const [owner, repo] = context.repository.split('/');
  if (!owner || !repo) return undefined;
  try {
    const { getOctokit } = await import('@actions/github');
    const { GitHub } = await import('@actions/github/lib/utils');
    // Without a token the request goes unauthenticated (public repositories answer it).
    const octokit = token ? getOctokit(token) : new GitHub();
    const { data } = await octokit.rest.repos.get({ owner, repo, request: { signal: AbortSignal.timeout(5000) } });
    return repositoryFromPayload({ repository: data });
  } catch (error) {
    warn(`could not read repository ${context.repository} from the GitHub API (${errorMessage(error)}); the OCI labels use what the event payload has`);
    return undefined;
  }
}
