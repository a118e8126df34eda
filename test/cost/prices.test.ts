// Reading GetProducts answers (pure): PriceList items are whole product documents in the Price
// List's shape (the fake catalogue's, see test/support/aws-fake/price-catalogue.ts), handed over by
// the SDK as String objects (LazyJsonString), not string primitives.
import { LazyJsonString } from '@smithy/core/serde';
import { describe, expect, it } from 'vitest';
import { onDemandPrice, priceQuery } from '../../src/cost/prices.js';
import { PRICE_CATALOGUE, priceListDocument, type CatalogueProduct } from '../support/aws-fake/price-catalogue.js';

const items = (region: string, pick: (p: CatalogueProduct) => boolean) =>
  PRICE_CATALOGUE.filter((p) => p.attributes.regionCode === region && pick(p)).map((p, i) => LazyJsonString.from(priceListDocument(p, i, '2026-12-01T00:00:00Z')));

describe('onDemandPrice', () => {
  it('reads the on-demand price of the product asked for, from String objects, and not its Reserved term', () => {
    const found = items('us-west-2', (p) => p.attributes.instanceType === 'db.t4g.micro' && p.attributes.databaseEngine === 'MySQL' && p.attributes.deploymentOption === 'Single-AZ');
    expect(typeof found[0]).toBe('object');
    expect(onDemandPrice(found, priceQuery('rds-instance:db.t4g.micro'))).toBe(0.016);
  });

  it('tells apart usage types that end alike: gp3 from Multi-AZ gp3, Aurora Standard from I/O-Optimized, REST from HTTP APIs, Arm from x86', () => {
    const rds = items('eu-central-1', (p) => p.serviceCode === 'AmazonRDS');
    expect(onDemandPrice(rds, priceQuery('rds-gp3-storage'))).toBe(0.133);
    expect(onDemandPrice(items('eu-central-1', (p) => p.productFamily === 'ServerlessV2' && p.attributes.databaseEngine === 'Aurora MySQL'), priceQuery('aurora-acu'))).toBe(0.14);
    expect(onDemandPrice(rds.filter((p) => JSON.parse(String(p)).product.attributes.instanceType === 'db.t4g.medium'), priceQuery('aurora-instance:db.t4g.medium'))).toBe(0.073);
    expect(onDemandPrice(items('us-east-1', (p) => p.serviceCode === 'AmazonApiGateway'), priceQuery('api-request'))).toBe(0.0000035);
    expect(onDemandPrice(items('us-east-1', (p) => p.serviceCode === 'AWSLambda'), priceQuery('lambda-gb-second'))).toBe(0.0000133334);
    expect(onDemandPrice(items('us-east-1', (p) => p.serviceCode === 'AWSLambda'), priceQuery('lambda-request'))).toBe(0.0000002);
    expect(onDemandPrice(items('us-east-1', (p) => p.serviceCode === 'AmazonCloudWatch'), priceQuery('alarm-metric'))).toBe(0.1);
    expect(onDemandPrice(items('us-east-1', (p) => p.serviceCode === 'AmazonCloudWatch'), priceQuery('logs-ingest'))).toBe(0.5);
  });

  it('takes the first tier of a tiered price', () => {
    expect(onDemandPrice(items('us-west-2', (p) => p.serviceCode === 'AmazonCloudWatch'), priceQuery('metric'))).toBe(0.3);
  });

  it('gives null for nothing found, another unit, or products that disagree', () => {
    expect(onDemandPrice([], priceQuery('metric'))).toBeNull();
    expect(onDemandPrice(['not json'], priceQuery('metric'))).toBeNull();
    const storage = items('us-west-2', (p) => p.attributes.usagetype?.endsWith('RDS:GP3-Storage') ?? false);
    expect(onDemandPrice(storage, { ...priceQuery('rds-gp3-storage'), unit: 'Hrs' })).toBeNull();
    const twoRegions = [...storage, ...items('eu-central-1', (p) => p.attributes.usagetype?.endsWith('RDS:GP3-Storage') ?? false)];
    expect(onDemandPrice(twoRegions, priceQuery('rds-gp3-storage'))).toBeNull();
  });

  describe('on documents the catalogue does not have', () => {
    const doc = (product: Record<string, unknown>, dimensions?: Array<Record<string, unknown>>) =>
      JSON.stringify({
        product,
        ...(dimensions ? { terms: { OnDemand: { 'SKU.T': { priceDimensions: Object.fromEntries(dimensions.map((d, i) => [`SKU.T.${i}`, d])) } } } } : {}),
      });
    const request = (usagetype: string, dimensions: Array<Record<string, unknown>>) => doc({ attributes: { usagetype } }, dimensions);
    const query = priceQuery('lambda-request');

    it('matches a usage type only at a word’s start: Request-ARM is not HighResRequest-ARM', () => {
      expect(onDemandPrice([request('USW2-HighResRequest-ARM', [{ unit: 'Requests', beginRange: '0', pricePerUnit: { USD: '0.0000009' } }])], query)).toBeNull();
      expect(onDemandPrice([request('USW2-Request-ARM', [{ unit: 'Requests', beginRange: '0', pricePerUnit: { USD: '0.0000002' } }])], query)).toBe(0.0000002);
      expect(onDemandPrice([request('Request-ARM', [{ unit: 'Requests', beginRange: '0', pricePerUnit: { USD: '0.0000002' } }])], query)).toBe(0.0000002);
    });

    it('takes the tier that begins at 0 wherever it is listed (a JSON object keeps no order AWS promises)', () => {
      const tiers = [
        { unit: 'Requests', beginRange: '333000000', endRange: 'Inf', pricePerUnit: { USD: '0.0000028' } },
        { unit: 'Requests', beginRange: '0', endRange: '333000000', pricePerUnit: { USD: '0.0000035' } },
      ];
      expect(onDemandPrice([request('Request-ARM', tiers)], query)).toBe(0.0000035);
      expect(onDemandPrice([request('Request-ARM', [{ unit: 'Requests', pricePerUnit: { USD: '0.0000002' } }])], query)).toBe(0.0000002);
    });

    it('skips what it cannot read: no attributes, no terms, a dimension without a unit, a price that is not a number', () => {
      expect(onDemandPrice([doc({}, [{ unit: 'Requests', beginRange: '0', pricePerUnit: { USD: '1' } }])], query)).toBeNull();
      expect(onDemandPrice([doc({ attributes: { usagetype: 'Request-ARM' } })], query)).toBeNull();
      expect(onDemandPrice([request('Request-ARM', [{ beginRange: '0', pricePerUnit: { USD: '1' } }])], query)).toBeNull();
      expect(onDemandPrice([request('Request-ARM', [{ unit: 'Requests', beginRange: '0', pricePerUnit: { USD: 'n/a' } }])], query)).toBeNull();
      expect(onDemandPrice([request('Request-ARM', [{ unit: 'Requests', beginRange: '0' }])], query)).toBeNull();
    });
  });
});
