// A local HTTP endpoint standing in for AWS (AWS_ENDPOINT_URL) when the CLI runs as its own
// process — the installed package, the bench — where the in-memory fake cannot reach. It answers
// only what a test decides: every call refused, or an account holding none of the stack. Each
// answer is in the wire protocol of its service (the SDK service models' protocol traits):
// awsQuery for IAM, RDS, STS and SNS, ec2Query for EC2, restJson1 for Lambda, API Gateway and
// Scheduler, awsJson1_1 for CloudWatch Logs and the Price List, awsJson1_0 for CloudWatch — so
// the real SDK clients parse them as they parse AWS's. The Price List answers from the fake's
// catalogue (aws-fake/price-catalogue.ts), each product a JSON document inside the JSON answer.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PRICE_CATALOGUE, priceListDocument } from './aws-fake/price-catalogue.js';
import { findProducts } from './aws-fake/pricing.js';

export interface StubCall {
  /** The SigV4 signing name: iam, ec2, rds, lambda, apigateway, scheduler, logs, sts, sns, monitoring. */
  service: string;
  /** The operation: Action= of the query protocols, X-Amz-Target's name, or the REST route's. */
  action: string;
  /** When the request arrived (performance.now() of this process). */
  at: number;
}

/**
 * `refuse`: AccessDenied as each service says it; `nothing`: the account has none of it (and a
 * default VPC with two subnets, the smallest MySQL class offered: what setup's plan reads).
 */
export type StubAnswer = 'refuse' | 'nothing';

export const STUB_ACCOUNT = '123456789012';
export const STUB_IDENTITY = `arn:aws:iam::${STUB_ACCOUNT}:user/mbed-setup`;

export interface AwsEndpointStub {
  url: string;
  calls: StubCall[];
  /** The client port of every connection made to it: through a proxy, the proxy's side of the tunnel. */
  remotePorts: number[];
  /** Resolves at the first request. */
  firstCall: Promise<StubCall>;
  close(): Promise<void>;
}

type Protocol = 'query' | 'ec2' | 'rest-json' | 'json';
const PROTOCOL: Record<string, Protocol> = { iam: 'query', rds: 'query', sts: 'query', sns: 'query', ec2: 'ec2', lambda: 'rest-json', apigateway: 'rest-json', scheduler: 'rest-json', logs: 'json', monitoring: 'json' };

/** The REST routes the CLI's status reads, by method and path. */
const REST_ROUTES: Array<[service: string, method: string, path: RegExp, action: string]> = [
  ['lambda', 'GET', /^\/2015-03-31\/functions\/[^/]+$/, 'GetFunction'],
  ['apigateway', 'GET', /^\/restapis$/, 'GetRestApis'],
  ['scheduler', 'GET', /^\/schedule-groups\/[^/]+$/, 'GetScheduleGroup'],
  ['scheduler', 'GET', /^\/schedules\/[^/]+$/, 'GetSchedule'],
];

/** What "none of it" looks like for each read: a NotFound error, or an empty list. */
const NOTHING: Record<string, { status: number; error?: string; body?: unknown }> = {
  'iam:GetRole': { status: 404, error: 'NoSuchEntity' },
  'rds:DescribeDBInstances': { status: 404, error: 'DBInstanceNotFound' },
  'rds:DescribeDBClusters': { status: 404, error: 'DBClusterNotFoundFault' },
  'rds:DescribeDBSubnetGroups': { status: 404, error: 'DBSubnetGroupNotFoundFault' },
  'ec2:DescribeSecurityGroups': { status: 200, body: '<securityGroupInfo/>' },
  'lambda:GetFunction': { status: 404, error: 'ResourceNotFoundException' },
  'scheduler:GetScheduleGroup': { status: 404, error: 'ResourceNotFoundException' },
  'scheduler:GetSchedule': { status: 404, error: 'ResourceNotFoundException' },
  'apigateway:GetRestApis': { status: 200, body: { item: [] } },
  'logs:DescribeLogGroups': { status: 200, body: { logGroups: [] } },
  'monitoring:DescribeAlarms': { status: 200, body: { MetricAlarms: [], CompositeAlarms: [] } },
  // SNS's awsQuery error code for ResourceNotFoundException (SDK model: awsQueryError "ResourceNotFound").
  'sns:ListTagsForResource': { status: 404, error: 'ResourceNotFound' },
  'iam:GetRolePolicy': { status: 404, error: 'NoSuchEntity' },
  'ec2:DescribeVpcs': { status: 200, body: '<vpcSet><item><vpcId>vpc-0default</vpcId><isDefault>true</isDefault><cidrBlock>172.31.0.0/16</cidrBlock></item></vpcSet>' },
  'ec2:DescribeVpcAttribute': { status: 200, body: '<vpcId>vpc-0default</vpcId><enableDnsSupport><value>true</value></enableDnsSupport><enableDnsHostnames><value>true</value></enableDnsHostnames>' },
  'ec2:DescribeSubnets': {
    status: 200,
    body: '<subnetSet><item><subnetId>subnet-0a</subnetId><vpcId>vpc-0default</vpcId><availabilityZone>eu-west-1a</availabilityZone></item><item><subnetId>subnet-0b</subnetId><vpcId>vpc-0default</vpcId><availabilityZone>eu-west-1b</availabilityZone></item></subnetSet>',
  },
  'rds:DescribeOrderableDBInstanceOptions': {
    status: 200,
    body: '<OrderableDBInstanceOptions><OrderableDBInstanceOption><Engine>mysql</Engine><DBInstanceClass>db.t4g.micro</DBInstanceClass></OrderableDBInstanceOption></OrderableDBInstanceOptions>',
  },
  // GetCallerIdentity needs no permission: it answers even credentials refused everything else.
  'sts:GetCallerIdentity': { status: 200, body: `<Arn>${STUB_IDENTITY}</Arn><UserId>AIDAEXAMPLEUSERID0001</UserId><Account>${STUB_ACCOUNT}</Account>` },
};

/** Each service's AccessDenied name, as the in-memory fake (test/support/aws-fake.ts) uses them. */
function deniedName(service: string): string {
  return service === 'ec2' ? 'UnauthorizedOperation' : service === 'iam' || service === 'rds' ? 'AccessDenied' : 'AccessDeniedException';
}

function identify(request: IncomingMessage, body: string): { service: string; action: string } {
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? 'unsigned';
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return { service, action: target.split('.').pop()! };
  const action = new URLSearchParams(body).get('Action');
  if (action) return { service, action };
  const path = new URL(request.url ?? '/', 'http://stub').pathname;
  const route = REST_ROUTES.find(([s, method, pattern]) => s === service && method === request.method && pattern.test(path));
  return { service, action: route?.[3] ?? `${request.method} ${path}` };
}

function reply(response: ServerResponse, service: string, action: string, answer: { status: number; error?: string; body?: unknown }, message: string): void {
  const protocol = PROTOCOL[service] ?? 'json';
  const requestId = 'f0a3b9e2-0000-4000-8000-00000000stub';
  if (answer.error) {
    if (protocol === 'query') {
      response.writeHead(answer.status, { 'content-type': 'text/xml' });
      response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${answer.error}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
    } else if (protocol === 'ec2') {
      response.writeHead(answer.status, { 'content-type': 'text/xml' });
      response.end(`<Response><Errors><Error><Code>${answer.error}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`);
    } else if (protocol === 'rest-json') {
      response.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': answer.error, 'x-amzn-requestid': requestId });
      response.end(JSON.stringify({ message }));
    } else {
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
      response.end(JSON.stringify({ __type: answer.error, message }));
    }
    return;
  }
  if (protocol === 'query' || protocol === 'ec2') {
    response.writeHead(answer.status, { 'content-type': 'text/xml' });
    const inner = `${answer.body ?? ''}`;
    response.end(protocol === 'ec2'
      ? `<${action}Response><requestId>${requestId}</requestId>${inner}</${action}Response>`
      : `<${action}Response><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
    return;
  }
  response.writeHead(answer.status, { 'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json', 'x-amzn-requestid': requestId });
  response.end(JSON.stringify(answer.body ?? {}));
}

export async function startAwsEndpointStub(decide: (call: StubCall) => StubAnswer): Promise<AwsEndpointStub> {
  const calls: StubCall[] = [];
  let first: (call: StubCall) => void = () => undefined;
  const firstCall = new Promise<StubCall>((resolve) => (first = resolve));
  const server = createServer(async (request, response) => {
    const at = performance.now();
    let body = '';
    for await (const chunk of request) body += chunk;
    const call = { ...identify(request, body), at };
    calls.push(call);
    first(call);
    const key = `${call.service}:${call.action}`;
    if (decide(call) === 'refuse' && key !== 'sts:GetCallerIdentity') {
      const action = `${call.service}:${call.action}`;
      reply(response, call.service, call.action, { status: 403, error: deniedName(call.service) },
        `User: arn:aws:iam::123456789012:user/mbed-setup is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`);
      return;
    }
    if (key === 'pricing:GetProducts') {
      const found = findProducts(PRICE_CATALOGUE, JSON.parse(body || '{}'));
      reply(response, call.service, call.action, { status: 200, body: { FormatVersion: 'aws_v1', PriceList: found.map((p, i) => priceListDocument(p, i, '2026-12-01T00:00:00Z')) } }, '');
      return;
    }
    const nothing = NOTHING[key];
    if (!nothing) {
      // A call this stub was never taught: fail loudly rather than guess an answer.
      reply(response, call.service, call.action, { status: 400, error: 'ValidationError' }, `the test stub does not know ${key}`);
      return;
    }
    reply(response, call.service, call.action, nothing, `${key}: not found`);
  });
  const remotePorts: number[] = [];
  server.on('connection', (socket) => remotePorts.push(socket.remotePort ?? 0));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    remotePorts,
    firstCall,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
