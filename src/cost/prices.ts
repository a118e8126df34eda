// Which prices an estimate needs and where each is in the AWS Price List: pure, so the queries and
// the reading of their answers are tested without AWS. Attribute names and usage types are those
// of the Price List (Billing and Cost Management API reference, GetProducts; the offer files'
// product attributes): a usage type carries a region prefix outside us-east-1 (USW2-, EUC1-),
// so it is matched by its end.

/** One price: its product, its unit as the list says it, and what it is for the reader. */
export interface PriceQuery {
  serviceCode: string;
  /** TERM_MATCH filters (exact attribute values); `regionCode` is added for the region asked. */
  filters: Record<string, string>;
  /** The product's `usagetype` ends with this (the region prefix varies). */
  usagetypeEndsWith?: string;
  /** The price dimension's unit, e.g. Hrs, GB-Mo. */
  unit: string;
}

export type FixedPriceKey =
  | 'rds-gp3-storage'
  | 'rds-backup'
  | 'aurora-backup'
  | 'aurora-acu'
  | 'aurora-storage'
  | 'aurora-io'
  | 'api-request'
  | 'lambda-gb-second'
  | 'lambda-request'
  | 'logs-ingest'
  | 'logs-storage'
  | 'metric'
  | 'alarm-metric'
  | 'public-ipv4';
/** An instance class's hourly price: `rds-instance:db.t4g.micro` (MySQL) or `aurora-instance:db.r6g.large`. */
export type InstancePriceKey = `rds-instance:${string}` | `aurora-instance:${string}`;
export type PriceKey = FixedPriceKey | InstancePriceKey;

/** Dollars per unit, by key; a key the source could not price is absent. */
export type Prices = Partial<Record<PriceKey, number>>;

export interface PriceBook {
  region: string;
  /** Where the prices come from: the Price List Query API, or the snapshot shipped with mbed-tsdb. */
  source: 'price-list-api' | 'snapshot';
  /** The day the prices were read (API) or taken (snapshot), YYYY-MM-DD. */
  asOf: string;
  prices: Prices;
  /** Why the snapshot was used: the API's refusal or failure. */
  why?: string;
}

const RDS_MYSQL = { productFamily: 'Database Instance', databaseEngine: 'MySQL', deploymentOption: 'Single-AZ' };

const FIXED: Record<FixedPriceKey, PriceQuery> = {
  // gp3, as CreateDBInstance makes it when no StorageType is given (RDS API reference: "Default: gp3").
  'rds-gp3-storage': { serviceCode: 'AmazonRDS', filters: { productFamily: 'Database Storage', volumeType: 'General Purpose-GP3', deploymentOption: 'Single-AZ' }, usagetypeEndsWith: 'RDS:GP3-Storage', unit: 'GB-Mo' },
  // Backups beyond the free amount, and snapshots kept after the database (teardown --final-snapshot).
  'rds-backup': { serviceCode: 'AmazonRDS', filters: { productFamily: 'Storage Snapshot' }, usagetypeEndsWith: 'RDS:ChargedBackupUsage', unit: 'GB-Mo' },
  'aurora-backup': { serviceCode: 'AmazonRDS', filters: { productFamily: 'Storage Snapshot', databaseEngine: 'Aurora MySQL' }, usagetypeEndsWith: 'Aurora:BackupUsage', unit: 'GB-Mo' },
  'aurora-acu': { serviceCode: 'AmazonRDS', filters: { productFamily: 'ServerlessV2', databaseEngine: 'Aurora MySQL' }, usagetypeEndsWith: 'Aurora:ServerlessV2Usage', unit: 'ACU-Hr' },
  'aurora-storage': { serviceCode: 'AmazonRDS', filters: { productFamily: 'Database Storage', databaseEngine: 'Aurora MySQL' }, usagetypeEndsWith: 'Aurora:StorageUsage', unit: 'GB-Mo' },
  'aurora-io': { serviceCode: 'AmazonRDS', filters: { productFamily: 'System Operation', databaseEngine: 'Aurora MySQL' }, usagetypeEndsWith: 'Aurora:StorageIOUsage', unit: 'IOs' },
  // A REST API (API Gateway v1), the first tier (up to 333 million a month).
  'api-request': { serviceCode: 'AmazonApiGateway', filters: { productFamily: 'API Calls' }, usagetypeEndsWith: 'ApiGatewayRequest', unit: 'Requests' },
  // The function runs on arm64 (Graviton): its own usage types, not an attribute.
  'lambda-gb-second': { serviceCode: 'AWSLambda', filters: { productFamily: 'Serverless' }, usagetypeEndsWith: 'Lambda-GB-Second-ARM', unit: 'Lambda-GB-Second' },
  'lambda-request': { serviceCode: 'AWSLambda', filters: { productFamily: 'Serverless' }, usagetypeEndsWith: 'Request-ARM', unit: 'Requests' },
  'logs-ingest': { serviceCode: 'AmazonCloudWatch', filters: { productFamily: 'Data Payload' }, usagetypeEndsWith: 'DataProcessing-Bytes', unit: 'GB' },
  'logs-storage': { serviceCode: 'AmazonCloudWatch', filters: { productFamily: 'Storage Snapshot' }, usagetypeEndsWith: 'TimedStorage-ByteHrs', unit: 'GB-Mo' },
  metric: { serviceCode: 'AmazonCloudWatch', filters: { productFamily: 'Metric' }, usagetypeEndsWith: 'CW:MetricMonitorUsage', unit: 'Metrics' },
  'alarm-metric': { serviceCode: 'AmazonCloudWatch', filters: { productFamily: 'Alarm' }, usagetypeEndsWith: 'CW:AlarmMonitorUsage', unit: 'Alarms' },
  // A publicly accessible database has a public IPv4 address, charged by the hour since February 2024.
  'public-ipv4': { serviceCode: 'AmazonVPC', filters: {}, usagetypeEndsWith: 'PublicIPv4:InUseAddress', unit: 'Hrs' },
};

export function priceQuery(key: PriceKey): PriceQuery {
  if (key.startsWith('rds-instance:')) {
    return { serviceCode: 'AmazonRDS', filters: { ...RDS_MYSQL, instanceType: key.slice('rds-instance:'.length) }, usagetypeEndsWith: `InstanceUsage:${key.slice('rds-instance:'.length)}`, unit: 'Hrs' };
  }
  if (key.startsWith('aurora-instance:')) {
    const type = key.slice('aurora-instance:'.length);
    // Aurora Standard, not I/O-Optimized (InstanceUsageIOOptimized:…), which mbed-tsdb does not make.
    return { serviceCode: 'AmazonRDS', filters: { ...RDS_MYSQL, databaseEngine: 'Aurora MySQL', instanceType: type }, usagetypeEndsWith: `InstanceUsage:${type}`, unit: 'Hrs' };
  }
  return FIXED[key as FixedPriceKey];
}

interface PriceDimension {
  unit?: string;
  beginRange?: string;
  pricePerUnit?: { USD?: string };
}
interface PriceListItem {
  product?: { attributes?: Record<string, string> };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, PriceDimension> }> };
}

/**
 * The on-demand USD price per unit of the products a query found: each item of GetProducts'
 * PriceList is one product as a JSON document (the SDK hands it over as a String object, not a
 * string primitive). Products whose usage type does not end as the query says are skipped; of a
 * tiered price (API requests, Lambda), the first tier. Null when none matches or they disagree.
 */
export function onDemandPrice(items: ReadonlyArray<unknown>, query: PriceQuery): number | null {
  const found = new Set<number>();
  for (const item of items) {
    let doc: PriceListItem;
    try {
      doc = JSON.parse(String(item)) as PriceListItem;
    } catch {
      continue;
    }
    const usagetype = doc.product?.attributes?.usagetype ?? '';
    if (query.usagetypeEndsWith && !usagetype.endsWith(query.usagetypeEndsWith)) continue;
    // "InstanceUsage:db.t4g.micro" must not match "InstanceUsageIOOptimized:…" nor "…:db.t4g.micro" of another prefix.
    if (query.usagetypeEndsWith && usagetype.length > query.usagetypeEndsWith.length && !/[-:]$/.test(usagetype.slice(0, usagetype.length - query.usagetypeEndsWith.length))) continue;
    for (const term of Object.values(doc.terms?.OnDemand ?? {})) {
      const dimensions = Object.values(term.priceDimensions ?? {}).filter((d) => d.unit?.toLowerCase() === query.unit.toLowerCase());
      const first = dimensions.find((d) => (d.beginRange ?? '0') === '0');
      const usd = Number(first?.pricePerUnit?.USD);
      if (first && Number.isFinite(usd)) found.add(usd);
    }
  }
  return found.size === 1 ? [...found][0]! : null;
}
