// The fake Price List's products, shaped as the AWS Price List holds them (offer files and
// GetProducts answers): a product with `productFamily` and `attributes` (servicecode, regionCode,
// location, usagetype with the region's prefix — none in us-east-1, USW2- in us-west-2, EUC1- in
// eu-central-1), and OnDemand (and Reserved) terms whose price dimensions have a unit, a range and
// `pricePerUnit.USD` as a string. Tiered prices (API Gateway, Lambda, CloudWatch metrics) have one
// dimension per tier. Beside each product mbed-tsdb wants sit the ones it must not take: other
// engines, Multi-AZ, gp2, I/O-Optimized, HTTP APIs, x86 functions, high-resolution alarms.
// The prices of eu-central-1 differ from the US ones on purpose (as they do): a test computes
// both regions by hand from this list.

export interface Tier {
  from: number;
  to?: number;
  usd: number;
}

export interface CatalogueProduct {
  serviceCode: string;
  productFamily?: string;
  attributes: Record<string, string>;
  unit: string;
  tiers: Tier[];
  /** A Reserved term beside the OnDemand one (its price must not be read as on-demand). */
  reservedUsd?: number;
}

interface RegionPrices {
  code: string;
  location: string;
  prefix: string;
  micro: number;
  t3micro: number;
  gp3: number;
  gp2: number;
  backup: number;
  acu: number;
  auroraStorage: number;
  api: number;
  ipv4: number;
  logsIngest: number;
}

const REGIONS: RegionPrices[] = [
  { code: 'us-east-1', location: 'US East (N. Virginia)', prefix: '', micro: 0.016, t3micro: 0.017, gp3: 0.115, gp2: 0.115, backup: 0.095, acu: 0.12, auroraStorage: 0.1, api: 0.0000035, ipv4: 0.005, logsIngest: 0.5 },
  { code: 'us-west-2', location: 'US West (Oregon)', prefix: 'USW2-', micro: 0.016, t3micro: 0.017, gp3: 0.115, gp2: 0.115, backup: 0.095, acu: 0.12, auroraStorage: 0.1, api: 0.0000035, ipv4: 0.005, logsIngest: 0.5 },
  { code: 'eu-west-1', location: 'EU (Ireland)', prefix: 'EU-', micro: 0.018, t3micro: 0.018, gp3: 0.127, gp2: 0.127, backup: 0.095, acu: 0.13, auroraStorage: 0.11, api: 0.0000035, ipv4: 0.005, logsIngest: 0.57 },
  { code: 'eu-central-1', location: 'EU (Frankfurt)', prefix: 'EUC1-', micro: 0.019, t3micro: 0.02, gp3: 0.133, gp2: 0.133, backup: 0.095, acu: 0.14, auroraStorage: 0.11, api: 0.0000037, ipv4: 0.005, logsIngest: 0.63 },
];

function regionProducts(r: RegionPrices): CatalogueProduct[] {
  const at = (serviceCode: string, productFamily: string | undefined, usagetype: string, extra: Record<string, string>, unit: string, tiers: Tier[], reservedUsd?: number): CatalogueProduct => ({
    serviceCode,
    ...(productFamily ? { productFamily } : {}),
    attributes: { servicecode: serviceCode, regionCode: r.code, location: r.location, usagetype: `${r.prefix}${usagetype}`, ...extra },
    unit,
    tiers,
    ...(reservedUsd !== undefined ? { reservedUsd } : {}),
  });
  const instance = (type: string, engine: string, deployment: string, usd: number, usage = 'InstanceUsage') =>
    at('AmazonRDS', 'Database Instance', `${deployment === 'Multi-AZ' ? 'Multi-AZUsage' : usage}:${type}`, { instanceType: type, databaseEngine: engine, deploymentOption: deployment, licenseModel: 'No license required' }, 'Hrs', [{ from: 0, usd }], usd * 0.6);
  return [
    instance('db.t4g.micro', 'MySQL', 'Single-AZ', r.micro),
    instance('db.t4g.micro', 'MySQL', 'Multi-AZ', r.micro * 2),
    instance('db.t4g.micro', 'PostgreSQL', 'Single-AZ', r.micro + 0.0),
    instance('db.t4g.micro', 'MariaDB', 'Single-AZ', r.micro + 0.001),
    instance('db.t3.micro', 'MySQL', 'Single-AZ', r.t3micro),
    instance('db.t3.small', 'MySQL', 'Single-AZ', r.t3micro * 2),
    instance('db.t4g.medium', 'Aurora MySQL', 'Single-AZ', 0.073),
    instance('db.t4g.medium', 'Aurora MySQL', 'Single-AZ', 0.095, 'InstanceUsageIOOptimized'),
    at('AmazonRDS', 'Database Storage', 'RDS:GP3-Storage', { volumeType: 'General Purpose-GP3', deploymentOption: 'Single-AZ', databaseEngine: 'Any' }, 'GB-Mo', [{ from: 0, usd: r.gp3 }]),
    at('AmazonRDS', 'Database Storage', 'RDS:Multi-AZ-GP3-Storage', { volumeType: 'General Purpose-GP3', deploymentOption: 'Multi-AZ', databaseEngine: 'Any' }, 'GB-Mo', [{ from: 0, usd: r.gp3 * 2 }]),
    at('AmazonRDS', 'Database Storage', 'RDS:GP2-Storage', { volumeType: 'General Purpose', deploymentOption: 'Single-AZ', databaseEngine: 'Any' }, 'GB-Mo', [{ from: 0, usd: r.gp2 }]),
    at('AmazonRDS', 'Storage Snapshot', 'RDS:ChargedBackupUsage', { databaseEngine: 'Any' }, 'GB-Mo', [{ from: 0, usd: r.backup }]),
    at('AmazonRDS', 'Storage Snapshot', 'Aurora:BackupUsage', { databaseEngine: 'Aurora MySQL' }, 'GB-Mo', [{ from: 0, usd: 0.021 }]),
    at('AmazonRDS', 'ServerlessV2', 'Aurora:ServerlessV2Usage', { databaseEngine: 'Aurora MySQL' }, 'ACU-Hr', [{ from: 0, usd: r.acu }]),
    at('AmazonRDS', 'ServerlessV2', 'Aurora:ServerlessV2IOOptimizedUsage', { databaseEngine: 'Aurora MySQL' }, 'ACU-Hr', [{ from: 0, usd: r.acu * 1.3 }]),
    at('AmazonRDS', 'ServerlessV2', 'Aurora:ServerlessV2Usage', { databaseEngine: 'Aurora PostgreSQL' }, 'ACU-Hr', [{ from: 0, usd: r.acu }]),
    at('AmazonRDS', 'Database Storage', 'Aurora:StorageUsage', { databaseEngine: 'Aurora MySQL', volumeType: 'General Purpose-Aurora' }, 'GB-Mo', [{ from: 0, usd: r.auroraStorage }]),
    at('AmazonRDS', 'Database Storage', 'Aurora:IO-OptimizedStorageUsage', { databaseEngine: 'Aurora MySQL', volumeType: 'IO Optimized-Aurora' }, 'GB-Mo', [{ from: 0, usd: 0.225 }]),
    at('AmazonRDS', 'System Operation', 'Aurora:StorageIOUsage', { databaseEngine: 'Aurora MySQL', group: 'Aurora I/O Operation' }, 'IOs', [{ from: 0, usd: 0.0000002 }]),
    at('AmazonApiGateway', 'API Calls', 'ApiGatewayRequest', { operation: 'ApiGatewayRequest', description: 'API calls received' }, 'Requests', [
      { from: 0, to: 333_000_000, usd: r.api },
      { from: 333_000_000, to: 1_000_000_000, usd: 0.0000028 },
      { from: 1_000_000_000, to: 20_000_000_000, usd: 0.00000238 },
      { from: 20_000_000_000, usd: 0.00000151 },
    ]),
    at('AmazonApiGateway', 'API Calls', 'ApiGatewayHttpRequest', { operation: 'ApiGatewayHttpApi', description: 'HTTP API Requests' }, 'Requests', [
      { from: 0, to: 300_000_000, usd: 0.000001 },
      { from: 300_000_000, usd: 0.0000009 },
    ]),
    at('AWSLambda', 'Serverless', 'Lambda-GB-Second-ARM', { group: 'AWS-Lambda-Duration-ARM' }, 'Lambda-GB-Second', [
      { from: 0, to: 7_500_000_000, usd: 0.0000133334 },
      { from: 7_500_000_000, to: 18_750_000_000, usd: 0.0000120001 },
      { from: 18_750_000_000, usd: 0.0000106667 },
    ]),
    at('AWSLambda', 'Serverless', 'Lambda-GB-Second', { group: 'AWS-Lambda-Duration' }, 'Lambda-GB-Second', [{ from: 0, to: 6_000_000_000, usd: 0.0000166667 }, { from: 6_000_000_000, usd: 0.000015 }]),
    at('AWSLambda', 'Serverless', 'Request-ARM', { group: 'AWS-Lambda-Requests-ARM' }, 'Requests', [{ from: 0, usd: 0.0000002 }]),
    at('AWSLambda', 'Serverless', 'Request', { group: 'AWS-Lambda-Requests' }, 'Requests', [{ from: 0, usd: 0.0000002 }]),
    at('AmazonCloudWatch', 'Data Payload', 'DataProcessing-Bytes', { group: 'Ingested Logs' }, 'GB', [{ from: 0, usd: r.logsIngest }]),
    at('AmazonCloudWatch', 'Data Payload', 'DataProcessingIA-Bytes', { group: 'Ingested Logs (Infrequent Access)' }, 'GB', [{ from: 0, usd: r.logsIngest / 2 }]),
    at('AmazonCloudWatch', 'Storage Snapshot', 'TimedStorage-ByteHrs', { group: 'Stored Logs' }, 'GB-Mo', [{ from: 0, usd: 0.03 }]),
    at('AmazonCloudWatch', 'Metric', 'CW:MetricMonitorUsage', { group: 'Metric' }, 'Metrics', [
      { from: 0, to: 10_000, usd: 0.3 },
      { from: 10_000, to: 250_000, usd: 0.1 },
      { from: 250_000, usd: 0.05 },
    ]),
    at('AmazonCloudWatch', 'Alarm', 'CW:AlarmMonitorUsage', { alarmType: 'Standard' }, 'Alarms', [{ from: 0, usd: 0.1 }]),
    at('AmazonCloudWatch', 'Alarm', 'CW:HighResAlarmMonitorUsage', { alarmType: 'High Resolution' }, 'Alarms', [{ from: 0, usd: 0.3 }]),
    // Public IPv4 addresses: service AmazonVPC, no product family.
    at('AmazonVPC', undefined, 'PublicIPv4:InUseAddress', { operation: 'AssociateAddressVPC' }, 'Hrs', [{ from: 0, usd: r.ipv4 }]),
    at('AmazonVPC', undefined, 'PublicIPv4:IdleAddress', { operation: 'IdleAddress' }, 'Hrs', [{ from: 0, usd: r.ipv4 }]),
  ];
}

export const PRICE_CATALOGUE: CatalogueProduct[] = REGIONS.flatMap(regionProducts);

/** A product as one PriceList item says it: the JSON document GetProducts returns. */
export function priceListDocument(product: CatalogueProduct, index: number, publicationDate: string): string {
  const sku = `SKU${String(index).padStart(12, '0')}`;
  const onDemand = `${sku}.JRTCKXETXF`;
  const dimensions = Object.fromEntries(
    product.tiers.map((tier, i) => [
      `${onDemand}.${['6YS6EN2CT7', '8EEUB22XNJ', 'Q7UJUT2CE6', 'WQPWBD7YQ2'][i]}`,
      {
        unit: product.unit,
        endRange: tier.to === undefined ? 'Inf' : String(tier.to),
        description: `${product.attributes.usagetype} ${tier.from}-${tier.to ?? 'Inf'}`,
        appliesTo: [],
        rateCode: `${onDemand}.${i}`,
        beginRange: String(tier.from),
        pricePerUnit: { USD: tier.usd.toFixed(10) },
      },
    ]),
  );
  const terms: Record<string, unknown> = {
    OnDemand: { [onDemand]: { priceDimensions: dimensions, sku, effectiveDate: '2026-11-01T00:00:00Z', offerTermCode: 'JRTCKXETXF', termAttributes: {} } },
  };
  if (product.reservedUsd !== undefined) {
    const reserved = `${sku}.4NA7Y494T4`;
    terms.Reserved = {
      [reserved]: {
        priceDimensions: { [`${reserved}.6YS6EN2CT7`]: { unit: product.unit, endRange: 'Inf', beginRange: '0', pricePerUnit: { USD: product.reservedUsd.toFixed(10) }, appliesTo: [], rateCode: `${reserved}.0` } },
        sku,
        effectiveDate: '2026-11-01T00:00:00Z',
        offerTermCode: '4NA7Y494T4',
        termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' },
      },
    };
  }
  return JSON.stringify({
    product: { ...(product.productFamily ? { productFamily: product.productFamily } : {}), attributes: product.attributes, sku },
    serviceCode: product.serviceCode,
    terms,
    version: '20261201000000',
    publicationDate,
  });
}
