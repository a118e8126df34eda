// A local HTTP proxy that only tunnels (CONNECT), like a corporate proxy in front of HTTPS:
// it records every tunnel asked for, can demand Basic credentials (407), or refuse (403).

import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxyRecord {
  target: string;
  /** The Proxy-Authorization header's user:password, decoded; null when none was sent. */
  credentials: string | null;
  answered: number;
  /** The local port of the proxy's connection to the target: what the target sees as its client. */
  upstreamPort?: number;
}

export interface TestProxy {
  url: string;
  port: number;
  tunnels: ProxyRecord[];
  /** Demand these credentials (user:password), or null for none. */
  requireAuth: string | null;
  /** Answer every CONNECT with 403. */
  refuse: boolean;
  close(): Promise<void>;
}

export async function startConnectProxy(options: { requireAuth?: string } = {}): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const proxy: TestProxy = { url: '', port: 0, tunnels: [], requireAuth: options.requireAuth ?? null, refuse: false, close: async () => undefined };
  const server = createServer((_req, res) => res.writeHead(405).end('this proxy only tunnels (CONNECT)'));
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const header = req.headers['proxy-authorization'];
    const credentials = header?.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : null;
    const record: ProxyRecord = { target: req.url ?? '', credentials, answered: 0 };
    proxy.tunnels.push(record);
    const answer = (status: number, text: string, extra = '') => {
      record.answered = status;
      client.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Content-Length: 0\r\n\r\n`);
    };
    if (proxy.refuse) return answer(403, 'Forbidden');
    if (proxy.requireAuth !== null && credentials !== proxy.requireAuth) return answer(407, 'Proxy Authentication Required', 'Proxy-Authenticate: Basic realm="test"\r\n');
    const [host, port] = splitTarget(record.target);
    const upstream = connect(port, host, () => {
      record.answered = 200;
      record.upstreamPort = upstream.localPort;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('error', () => (record.answered ? client.destroy() : answer(502, 'Bad Gateway')));
    client.once('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

function splitTarget(target: string): [string, number] {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(target);
  if (bracketed) return [bracketed[1]!, Number(bracketed[2])];
  const at = target.lastIndexOf(':');
  return [target.slice(0, at), Number(target.slice(at + 1))];
}
