// Endpoint names and resource paths: checked before any call, and encoded for URLs.

import { UsageError } from '../errors.js';

export const DEFAULT_RESOURCE = '/3200/0/5501';

/** Device names: at most 64 characters (connector-api.md §7), no slash, space or control characters. */
const ENDPOINT = /^[^\s/\\?#%\p{Cc}]{1,64}$/u;
/** LwM2M-style paths, /object/instance/resource, though the Connector allowed any segments. */
const RESOURCE = /^(\/[A-Za-z0-9_.~-]+)+$/;

export function checkEndpoint(name: string): string {
  if (!ENDPOINT.test(name)) {
    throw new UsageError(
      `invalid endpoint name ${JSON.stringify(name)}: 1 to 64 characters, no slashes, spaces, ?, # or %` +
        ' (e.g. 015f3850a657000000000001001002ab)',
    );
  }
  return name;
}

export function checkResource(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (!RESOURCE.test(trimmed) || trimmed.length > 128 || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new UsageError(`invalid resource path ${JSON.stringify(path)}: use /object/instance/resource, e.g. ${DEFAULT_RESOURCE}`);
  }
  return trimmed;
}

/** `/v2/subscriptions/{ep}/3200/0/5501`: the path goes on as it is, the name is encoded. */
export function subscriptionPath(endpoint: string, resource?: string): string {
  return `/v2/subscriptions/${encodeURIComponent(endpoint)}${resource ?? ''}`;
}
