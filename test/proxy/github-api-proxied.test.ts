import { describe } from 'vitest';
import { githubApiThroughProxy } from './github-api.js';

describe('GitHub API (Octokit from @actions/github) with HTTPS_PROXY', () => githubApiThroughProxy((proxy) => ({ HTTPS_PROXY: proxy }), true));
