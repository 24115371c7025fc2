// The GitHub API request (repository facts for the labels) against a CONNECT proxy.
// @actions/github settles its proxy when first imported (for GITHUB_API_URL), so each
// variable set gets a test file, and so a fresh import, of its own.
import { expect, it } from 'vitest';
import { repositoryInfo } from '../../src/phases/repository.js';
import type { Context } from '../../src/plan/context.js';
import { joinLabNetwork, LAB_DOMAIN, makeCertificate, startConnectProxy, startHttpsServer } from '../support/network-lab.js';

const API = `api.github.${LAB_DOMAIN}`;

export function githubApiThroughProxy(variables: (proxyUrl: string) => Record<string, string>, expectTunnel: boolean): void {
  it(`${expectTunnel ? 'goes through' : 'bypasses'} the proxy`, async () => {
    const certificate = makeCertificate([API]);
    const leave = joinLabNetwork(certificate.ca);
    const proxy = await startConnectProxy();
    const server = await startHttpsServer(certificate, (request, _body, response) => {
      response.writeHead(request.url === '/repos/acme/app' ? 200 : 404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ name: 'app', description: 'through the lab', html_url: 'https://github.com/acme/app', default_branch: 'main' }));
    });
    const saved = { ...process.env };
    try {
      for (const name of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[name];
      Object.assign(process.env, { GITHUB_API_URL: `https://${API}:${server.port}` }, variables(proxy.url));
      const warnings: string[] = [];
      // Only what repositoryInfo reads: building a whole context would import @actions/github too early.
      const context = { payload: {}, repository: 'acme/app' } as unknown as Context;
      const info = await repositoryInfo(context, 'a-token', (message) => warnings.push(message));
      expect(warnings).toEqual([]);
      expect(info).toMatchObject({ name: 'app', description: 'through the lab' });
      expect(proxy.tunnels).toEqual(expectTunnel ? [`${API}:${server.port}`] : []);
    } finally {
      process.env = saved;
      await server.close();
      await proxy.close();
      leave();
    }
  });
}
