// Node http(s) Agents that reach each host the way proxyFor decides: directly, or through an
// HTTP proxy's CONNECT tunnel (TLS end to end with the host). The AWS SDK's Node handler takes
// them, so AWS calls follow HTTPS_PROXY/NO_PROXY like every other request.

import { Agent as HttpAgent, request, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ProxyError } from './proxy-error.js';
import type { ProxyChoice } from './proxy.js';

type Callback = (error: Error | null, stream: Duplex) => void;

/** Opens a CONNECT tunnel to host:port through the proxy. */
export function tunnel(proxy: ProxyChoice, host: string, port: number, timeoutMs = 15_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const headers: Record<string, string> = { host: target };
    if (proxy.url.username || proxy.url.password) {
      headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.url.username)}:${decodeURIComponent(proxy.url.password)}`).toString('base64')}`;
    }
    const req = request({ host: proxy.url.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.url.port || 80), method: 'CONNECT', path: target, headers, timeout: timeoutMs });
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new ProxyError(proxy, target, `${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
    });
    req.once('timeout', () => req.destroy(new ProxyError(proxy, target, `no answer in ${timeoutMs / 1000} s`)));
    req.once('error', (error) => reject(error instanceof ProxyError ? error : new ProxyError(proxy, target, (error as NodeJS.ErrnoException).code ?? error.message)));
    req.end();
  });
}

/**
 * An http and an https Agent that reach each host the way `route` says: through the proxy it
 * returns, or directly (null).
 */
export function proxyAgents(route: (target: URL) => ProxyChoice | null, options: AgentOptions = { keepAlive: true }): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const routeTo = (scheme: 'http' | 'https', host: string, port: number) => route(new URL(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`));

  class ProxiedHttpAgent extends HttpAgent {
    override createConnection(opts: ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
      const proxy = routeTo('http', opts.host ?? 'localhost', Number(opts.port ?? 80));
      if (!proxy) return super.createConnection(opts, callback);
      tunnel(proxy, opts.host ?? 'localhost', Number(opts.port ?? 80)).then(
        (socket) => callback!(null, socket),
        (error: Error) => callback!(error, undefined as never),
      );
      return undefined;
    }
  }

  class ProxiedHttpsAgent extends HttpsAgent {
    override createConnection(opts: RequestOptions, callback?: Callback): Duplex | null | undefined {
      const host = opts.host ?? 'localhost';
      const port = Number(opts.port ?? 443);
      const proxy = routeTo('https', host, port);
      if (!proxy) return super.createConnection(opts, callback);
      const fail = (error: Error) => callback!(error, undefined as never);
      tunnel(proxy, host, port).then((socket) => {
        const secure = tlsConnect({ ...(opts as ConnectionOptions), socket, servername: opts.servername ?? (host.includes(':') ? undefined : host) });
        secure.once('secureConnect', () => callback!(null, secure));
        secure.once('error', fail);
      }, fail);
      return undefined;
    }
  }

  return { httpAgent: new ProxiedHttpAgent(options), httpsAgent: new ProxiedHttpsAgent(options) };
}
