import { UserFacingError } from '../errors.js';
import type { ProxyChoice } from './proxy.js';

/** The proxy would not (or could not) open the way to a host. Names the proxy, never its credentials. */
export class ProxyError extends UserFacingError {
  override name = 'ProxyError';
  constructor(proxy: ProxyChoice, target: string, reason: string) {
    const hint = /^407\b/.test(reason)
      ? 'it wants credentials: put them in the proxy URL (http://user:password@proxy:3128)'
      : 'check HTTPS_PROXY/HTTP_PROXY, or list the host in NO_PROXY if it should be reached directly';
    super(`the proxy ${proxy.shown} did not connect to ${target} (${reason}): ${hint}`, { code: 'PROXY' });
  }
}
