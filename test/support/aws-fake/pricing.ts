// The fake's Price List Query API (GetProducts), as the AWS Billing and Cost Management API
// reference and the SDK model (@aws-sdk/client-pricing 3.1133) say:
// - It answers only at its own endpoints: api.pricing.us-east-1, eu-central-1 and ap-south-1
//   (cn-northwest-1 in China) — "AWS Price List Query API endpoints", Billing user guide. A client
//   made for another region has no host to reach (getaddrinfo ENOTFOUND api.pricing.<region>…).
// - Filters match all at once; TERM_MATCH, EQUALS and ANY_OF compare whole values, CONTAINS a
//   substring, NONE_OF excludes. Field is `ServiceCode` or an attribute name (productFamily too).
// - MaxResults at most 100 (InvalidParameterException above); NextToken pages, an unknown token is
//   InvalidNextTokenException.
// - PriceList holds one JSON document per product (its terms: OnDemand, Reserved). The SDK hands
//   each over as a LazyJsonString (a String object, typeof 'object'), so the fake does too.
// - Without pricing:GetProducts: AccessDeniedException (the fake's `denied`, as every service).
// - A network that drops what goes to api.pricing (a firewall that lets through only the VPC's
//   endpoints) never answers: the SDK's Node handler has no timeout unless one is set
//   (@smithy/node-http-handler: DEFAULT_REQUEST_TIMEOUT 0, no connection timeout) — `hang`.
import { GetProductsCommand, InvalidNextTokenException, InvalidParameterException, PricingClient } from '@aws-sdk/client-pricing';
import { LazyJsonString } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { meta, type FakeAws } from '../aws-fake.js';
import { priceListDocument, type CatalogueProduct } from './price-catalogue.js';

export const PRICE_LIST_REGIONS = new Set(['us-east-1', 'eu-central-1', 'ap-south-1', 'cn-northwest-1']);

function fieldValue(product: CatalogueProduct, field: string): string | undefined {
  if (field.toLowerCase() === 'servicecode') return product.serviceCode;
  if (field === 'productFamily') return product.productFamily;
  return product.attributes[field];
}

export function matches(product: CatalogueProduct, filter: { Type?: string; Field?: string; Value?: string }): boolean {
  const value = fieldValue(product, filter.Field ?? '');
  const wanted = filter.Value ?? '';
  switch (filter.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return value === wanted;
    case 'CONTAINS':
      return value !== undefined && value.includes(wanted);
    case 'ANY_OF':
      return value !== undefined && wanted.split(',').includes(value);
    case 'NONE_OF':
      return value === undefined || !wanted.split(',').includes(value);
    default:
      throw new InvalidParameterException({ message: `Invalid filter type: ${filter.Type}`, ...meta });
  }
}

/** The products GetProducts finds: its service, every filter. */
export function findProducts(products: CatalogueProduct[], input: { ServiceCode?: string; Filters?: Array<{ Type?: string; Field?: string; Value?: string }> }): CatalogueProduct[] {
  return products.filter((p) => p.serviceCode === input.ServiceCode && (input.Filters ?? []).every((f) => matches(p, f)));
}

export function installPricing(fake: FakeAws): void {
  const pricing = mockClient(PricingClient);
  fake.stubs.push(pricing);
  fake.handle(pricing, GetProductsCommand, { service: 'pricing', name: 'GetProducts', mutating: false }, async (input) => {
    if (!PRICE_LIST_REGIONS.has(fake.pricing.clientRegion)) {
      const host = `api.pricing.${fake.pricing.clientRegion}.amazonaws.com`;
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { name: 'Error', code: 'ENOTFOUND', hostname: host, $metadata: {} });
    }
    if (fake.pricing.failure) throw fake.pricing.failure();
    if (fake.pricing.hang) return new Promise<never>(() => undefined);
    if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > 100)) {
      throw new InvalidParameterException({ message: 'MaxResults must be between 1 and 100', ...meta });
    }
    const found = findProducts(fake.pricing.products, input);
    const start = input.NextToken === undefined ? 0 : Number(/^page-(\d+)$/.exec(input.NextToken)?.[1] ?? Number.NaN);
    if (!Number.isInteger(start)) throw new InvalidNextTokenException({ message: 'The next token is invalid', ...meta });
    const size = Math.min(input.MaxResults ?? 100, fake.pageSize);
    const page = found.slice(start, start + size);
    return {
      FormatVersion: 'aws_v1',
      PriceList: page.map((p) => LazyJsonString.from(priceListDocument(p, fake.pricing.products.indexOf(p), fake.pricing.publicationDate))),
      ...(start + size < found.length ? { NextToken: `page-${start + size}` } : {}),
    };
  });
}
