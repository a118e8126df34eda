// What API Gateway (REST API, Lambda proxy integration) hands the function, and a small
// local HTTP server that turns a real HTTP request into that event.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyEvent, ProxyResult } from '../../templates/lambda/handler.js';

type Handler = (event: ProxyEvent) => Promise<ProxyResult>;

/** The REST API v1 proxy event, with the fields API Gateway fills for PUT /webhook on stage test. */
export function proxyEvent(init: {
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  sourceIp?: string;
}): ProxyEvent {
  const headers = init.headers ?? {};
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  const requestId = randomUUID();
  const event = {
    resource: '/webhook',
    path: '/webhook',
    httpMethod: init.method ?? 'PUT',
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: '/webhook',
      httpMethod: init.method ?? 'PUT',
      path: '/test/webhook',
      stage: 'test',
      requestId,
      protocol: 'HTTP/1.1',
      identity: { sourceIp: init.sourceIp ?? '127.0.0.1', userAgent: headers['User-Agent'] ?? null },
      requestTimeEpoch: Date.now(),
    },
    body: init.body ?? null,
    isBase64Encoded: init.isBase64Encoded ?? false,
  };
  return event;
}

/**
 * The payload format 2.0 event of an HTTP API (API Gateway v2) or a Lambda Function URL (AWS
 * docs, "Create AWS Lambda proxy integrations for HTTP APIs": version, routeKey, rawPath,
 * lower-case headers, requestContext.http.method; Function URLs use routeKey "$default").
 */
export function httpApiEvent(init: { method?: string; headers?: Record<string, string>; body?: string | null; isBase64Encoded?: boolean; functionUrl?: boolean }) {
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const method = init.method ?? 'PUT';
  const routeKey = init.functionUrl ? '$default' : `${method} /webhook`;
  return {
    version: '2.0',
    routeKey,
    rawPath: '/webhook',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: init.functionUrl ? 'abcdefghijklmnopqrstuvwxyz012345' : 'a1b2c3d4e5',
      domainName: init.functionUrl ? 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-west-2.on.aws' : 'a1b2c3d4e5.execute-api.us-west-2.amazonaws.com',
      http: { method, path: '/webhook', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: headers['user-agent'] ?? 'test' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: '28/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(init.body !== undefined && init.body !== null ? { body: init.body } : {}),
    isBase64Encoded: init.isBase64Encoded ?? false,
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Serves the function at http://127.0.0.1:<port>/test/webhook the way API Gateway would. */
export async function serveFunction(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/test/webhook') {
      response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Missing Authentication Token"}');
      return;
    }
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (let i = 0; i < request.rawHeaders.length; i += 2) headers[request.rawHeaders[i]!] = request.rawHeaders[i + 1]!;
    const result = await handler(
      proxyEvent({
        method: request.method ?? 'GET',
        headers,
        body: body.length > 0 ? body.toString('utf8') : null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      }),
    );
    response.writeHead(result.statusCode, result.headers).end(result.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/test/webhook`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
