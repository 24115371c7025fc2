import type * as http from 'node:http';
import { getProxyUrl } from '@actions/http-client';

/**
 * The step's own HTTP requests through HTTPS_PROXY / HTTP_PROXY, minus NO_PROXY (each also in
 * lower case). Which proxy a URL takes is decided by @actions/http-client's getProxyUrl, the
 * rule core.getIDToken and Octokit (@actions/github) already follow, so every client of the
 * step agrees on it (loopback hosts always go direct there). The transports are libraries,
 * loaded only when a proxy applies: undici's ProxyAgent for fetch (the undici that
 * @actions/http-client already bundles), https-proxy-agent for the AWS SDK's node:https.
 */

/** The proxy URL for `url`, or undefined to go direct. */
export function proxyFor(url: string | URL): string | undefined {
  try {
    return getProxyUrl(String(url)) || undefined;
  } catch {
    // A URL http-client cannot parse goes direct; fetch will report what is wrong with it.
    return undefined;
  }
}

/** Whether any proxy variable is set: without one, nothing here loads. */
export function proxyConfigured(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return Boolean(env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY);
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

// One ProxyAgent per proxy URL: its connections to the proxy are reused across requests.
const dispatchers = new Map<string, Promise<unknown>>();

function proxyDispatcher(proxy: string): Promise<unknown> {
  let dispatcher = dispatchers.get(proxy);
  if (!dispatcher) {
    dispatcher = import('undici/index.js').then(({ ProxyAgent }) => new ProxyAgent(proxy));
    dispatchers.set(proxy, dispatcher);
  }
  return dispatcher;
}

/**
 * fetch that goes through the proxy `proxyFor` names for each request's URL (undici's fetch
 * with a ProxyAgent: the same pairing @actions/github uses), and is Node's own fetch otherwise.
 */
export const proxiedFetch: typeof fetch = async (input, init) => {
  const proxy = proxyFor(urlOf(input));
  if (!proxy) return fetch(input, init);
  const [undici, dispatcher] = await Promise.all([import('undici/index.js'), proxyDispatcher(proxy)]);
  // undici's Response is what Node's fetch returns too, from a copy of the same library.
  return (await undici.fetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as Response;
};

/**
 * What the AWS SDK clients take as `requestHandler` (NodeHttpHandler options) so their
 * requests follow the proxy variables, as aws-actions/configure-aws-credentials sets up its
 * STS client; undefined (the SDK's default handler) when no proxy variable is set.
 */
export async function awsRequestHandler(): Promise<{ httpAgent: http.Agent; httpsAgent: http.Agent } | undefined> {
  if (!proxyConfigured()) return undefined;
  const agent = await environmentProxyAgent();
  return { httpAgent: agent, httpsAgent: agent };
}

/**
 * An http.Agent that decides per request: through an HttpsProxyAgent (a CONNECT tunnel) for
 * hosts the proxy variables send to a proxy, Node's own agents for the rest.
 */
async function environmentProxyAgent(): Promise<http.Agent> {
  const [{ Agent }, { HttpsProxyAgent }, nodeHttp, nodeHttps] = await Promise.all([import('agent-base'), import('https-proxy-agent'), import('node:http'), import('node:https')]);
  const tunnels = new Map<string, http.Agent>();
  class EnvironmentProxyAgent extends Agent {
    override connect(_request: http.ClientRequest, options: { secureEndpoint: boolean; host?: string | null; port?: number | null }): http.Agent {
      const host = options.host ?? 'localhost';
      const url = `${options.secureEndpoint ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}${options.port ? `:${options.port}` : ''}/`;
      const proxy = proxyFor(url);
      if (!proxy) return options.secureEndpoint ? nodeHttps.globalAgent : nodeHttp.globalAgent;
      let tunnel = tunnels.get(proxy);
      if (!tunnel) {
        tunnel = new HttpsProxyAgent(proxy, { keepAlive: true });
        tunnels.set(proxy, tunnel);
      }
      return tunnel;
    }
  }
  return new EnvironmentProxyAgent({ keepAlive: true });
}
