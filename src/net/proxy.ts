// Which proxy a request goes through, decided in one place for every HTTP(S) call of the CLI
// (AWS, the Connector, the public-IP lookup, the RDS truststore), the way curl and the AWS CLI
// read the environment: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones (lower case first,
// then upper), and NO_PROXY for the hosts that go direct.

import { UsageError } from '../errors.js';

export type Env = Record<string, string | undefined>;

const first = (env: Env, name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;

/**
 * NO_PROXY entries: `*` (everything), a host name (it and its subdomains: `example.com` and
 * `.example.com` both cover `api.example.com`), an IP address, each optionally with `:port`.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const { name, port: only } = splitEntry(entry);
    if (only !== undefined && only !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; a leading `.` or `*.` is dropped. */
function splitEntry(entry: string): { name: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, ...(bracketed[2] ? { port: bracketed[2] } : {}) };
  if ((entry.match(/:/g) ?? []).length > 1) return { name: entry };
  const [name = '', port] = entry.split(':');
  return { name: name.replace(/^\*?\./, ''), ...(port ? { port } : {}) };
}

export interface ProxyChoice {
  /** The proxy's URL, credentials included (for the connection only). */
  url: URL;
  /** The same without credentials: the only form ever printed. */
  shown: string;
}

/** The proxy for a request to `target`, or null when it goes direct. */
export function proxyFor(target: string | URL, env: Env): ProxyChoice | null {
  const url = typeof target === 'string' ? new URL(target) : target;
  const variable = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https_proxy' : 'http_proxy';
  const value = first(env, variable);
  if (!value || bypassesProxy(url, first(env, 'no_proxy'))) return null;
  return parseProxy(value, variable.toUpperCase());
}

export function parseProxy(value: string, variable: string): ProxyChoice {
  let url: URL;
  try {
    // curl takes `proxy:3128` as http://proxy:3128.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new UsageError(`${variable} is not a proxy URL (e.g. http://proxy.example.com:3128): ${showProxy(value)}`);
  }
  if (url.protocol !== 'http:') {
    throw new UsageError(`${variable} ${showProxy(url.href)}: only http:// proxies are supported (the connection to the proxy is plain HTTP; HTTPS requests are tunnelled inside it with CONNECT)`);
  }
  return { url, shown: showProxy(url.href) };
}

/** A proxy URL without its credentials. */
export function showProxy(value: string): string {
  try {
    const url = new URL(value);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//');
  }
}

/** Whether any proxy variable is set (database errors then say that MySQL does not use it). */
export function proxyConfigured(env: Env): string | null {
  const value = first(env, 'https_proxy') ?? first(env, 'http_proxy');
  return value ? showProxy(value) : null;
}
