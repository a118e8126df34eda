// The CLI's network: one fetch and one pair of Node agents for the AWS SDK, both routed by
// proxyFor. Without proxy variables nothing changes (the built-in fetch, the SDK's own agents)
// and undici is not even loaded.

import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { proxyAgents } from './proxy-agent.js';
import { loadUndici } from './undici.js';
import { ProxyError } from './proxy-error.js';
import { proxyConfigured, proxyFor, type Env, type ProxyChoice } from './proxy.js';

export interface Net {
  fetch: typeof fetch;
  /** The proxy in use (credentials removed), for messages; null when none is set. */
  proxy: string | null;
  /** Agents for the AWS SDK's Node handler; undefined when no proxy is set. */
  awsAgents(): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } | undefined;
}

/** `log(origin, proxy)`: called once per origin with the proxy it goes through (null: direct). */
export function createNet(env: Env, log?: (origin: string, proxy: string | null) => void): Net {
  const proxy = proxyConfigured(env);
  if (!proxy) return { fetch: globalThis.fetch, proxy: null, awsAgents: () => undefined };
  // One decision, logged once per origin, for fetch and the AWS agents alike.
  const seen = new Set<string>();
  const route = (url: URL) => {
    const choice = proxyFor(url, env);
    if (!seen.has(url.origin)) {
      seen.add(url.origin);
      log?.(url.origin, choice?.shown ?? null);
    }
    return choice;
  };
  const dispatchers = new Map<string, unknown>();
  const proxiedFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const choice = route(url);
    if (!choice) return globalThis.fetch(input, init);
    const undici = await loadUndici();
    let dispatcher = dispatchers.get(choice.url.href) as InstanceType<typeof undici.ProxyAgent> | undefined;
    if (!dispatcher) {
      dispatcher = new undici.ProxyAgent({ uri: choice.url.href });
      dispatchers.set(choice.url.href, dispatcher);
    }
    try {
      return (await undici.fetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as Response;
    } catch (error) {
      throw proxyFailure(error, choice, url) ?? error;
    }
  }) as typeof fetch;
  let agents: ReturnType<typeof proxyAgents> | undefined;
  return { fetch: proxiedFetch, proxy, awsAgents: () => (agents ??= proxyAgents(route)) };
}

/** undici's "fetch failed" turned into what the proxy did, when it was the proxy. */
function proxyFailure(error: unknown, choice: ProxyChoice, url: URL): ProxyError | null {
  type Cause = { message?: string; code?: string; port?: number; hostname?: string; cause?: Cause };
  // undici nests the proxy's answer a few causes deep.
  const chain: Cause[] = [];
  for (let c = (error as Cause | null)?.cause; c && chain.length < 5; c = c.cause) chain.push(c);
  if (chain.length === 0) return null;
  const cause = chain.find((c) => c.code) ?? chain[0]!;
  const target = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const status = chain.map((c) => /Proxy response \((\d+)\)/.exec(c.message ?? '')?.[1]).find(Boolean);
  if (status) return new ProxyError(choice, target, status === '407' ? '407 Proxy Authentication Required' : `${status}`);
  const proxyPort = Number(choice.url.port || 80);
  if (cause.code && cause.port === proxyPort && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH)$/.test(cause.code)) {
    return new ProxyError(choice, target, `${cause.code} from the proxy itself`);
  }
  if (cause.code === 'ENOTFOUND' && cause.hostname === choice.url.hostname) return new ProxyError(choice, target, 'the proxy host is not known');
  return null;
}
