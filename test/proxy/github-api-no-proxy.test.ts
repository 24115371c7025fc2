import { describe } from 'vitest';
import { githubApiThroughProxy } from './github-api.js';

describe('GitHub API (Octokit from @actions/github) with its host in no_proxy', () => githubApiThroughProxy((proxy) => ({ https_proxy: proxy, no_proxy: `.proxy.test` }), false));
