// What each status code of the calls mbed-tsdb makes means, in words, per operation: from the
// responses each operation lists in the Izuma OpenAPI spec (pelion_dm_public_openapi.yaml), and
// for the legacy Connector its own (connector-api.md §3–§4).

export type Operation = 'callback' | 'register' | 'unregister' | 'channel' | 'subscribe' | 'unsubscribe' | 'subscriptions' | 'rules' | 'set-rules' | 'devices';

/** What the operation was doing, for "this access key may not …". */
const DOING: Record<Operation, string> = {
  callback: 'read the notification callback',
  register: 'register a notification callback',
  unregister: 'remove the notification callback',
  channel: 'read the notification channel',
  subscribe: 'subscribe to device resources',
  unsubscribe: 'remove subscriptions',
  subscriptions: 'list subscriptions',
  rules: 'read the pre-subscription rules',
  'set-rules': 'change the pre-subscription rules',
  devices: 'look devices up in the device directory',
};

export interface About {
  endpoint?: string;
  resource?: string;
  host: string;
}

export function explainStatus(status: number, operation: Operation, about: About): string {
  const device = about.endpoint ? `device ${about.endpoint}` : 'the device';
  if (status === 401) return `the service at ${about.host} refused the access key (401): check MBED_CLOUD_SDK_API_KEY, and MBED_CLOUD_SDK_HOST for its region`;
  if (status === 403) {
    return `this access key may not ${DOING[operation]} (403): use an access key (it starts with ak_) of an application allowed to do that, not a user's session token`;
  }
  switch (operation) {
    case 'register':
      if (status === 400) return 'the callback URL is not accessible, or this access key already has another kind of notification channel (400)';
      if (status === 415) return 'the service did not accept the request format (415)';
      break;
    case 'subscribe':
      if (status === 400) return 'the service refused the subscription request as malformed (400)';
      if (status === 404) return `${device} or its resource${about.resource ? ` ${about.resource}` : ''} is not found (404): check the device ID, and that the device has registered that resource`;
      if (status === 429) return `${device} cannot accept the request at the moment: its request queue is full (429)`;
      if (status === 502) return `subscription failed: ${device} is not connected (502)`;
      // The legacy Connector's own answers.
      if (status === 412) return 'no notification channel, or the resource is not observable (412)';
      if (status === 503) return `${device} is unavailable (503)`;
      if (status === 504) return `${device} did not answer in time (504)`;
      break;
    case 'unsubscribe':
    case 'subscriptions':
      if (status === 404) return `${device} is not known, or has no subscriptions (404)`;
      break;
    case 'set-rules':
      if (status === 400) return 'the service refused the pre-subscription rules as malformed (400)';
      break;
    case 'devices':
      if (status === 400) return 'the service refused the device directory query (400)';
      break;
    default:
      break;
  }
  if (status === 404) return 'not found (404)';
  // Any call can meet a busy service or the gateway in front of it.
  if (status === 429) return 'the service is busy (429)';
  if (status === 502) return 'the service’s gateway got no answer from it (502)';
  if (status === 503) return 'the service is unavailable for now (503)';
  if (status === 504) return 'the service did not answer in time (504)';
  return `unexpected answer ${status} from the service`;
}

/**
 * The outcome of an asynchronous request (`async-responses` status): the AsyncIDResponse
 * status table of the spec.
 */
export function explainAsyncStatus(status: number, error?: string): string {
  const words: Record<number, string> = {
    200: 'done',
    400: 'the device refused the request (it may not support it)',
    404: 'the device has no such resource',
    412: 'the device refused: the resource is not observable (412)',
    413: 'the request was too large for the device',
    415: 'the device does not support the media type',
    429: 'the request expired in the queue, or the device deregistered',
    502: 'the device is not connected',
    503: 'the service could not reach the device',
    504: 'the device did not answer in time',
  };
  return `${words[status] ?? `status ${status}`}${error ? ` (${error})` : ''}`;
}
