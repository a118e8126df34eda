import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTOR_HOST, resolveSettings, type SettingsInput } from '../../src/config/settings.js';
import { UsageError } from '../../src/errors.js';

const input = (over: Partial<SettingsInput> = {}): SettingsInput => ({ flags: {}, env: {}, dotenv: {}, isTTY: false, ...over });

describe('resolveSettings', () => {
  it('uses the defaults when nothing is given', () => {
    const s = resolveSettings(input());
    expect(s).toMatchObject({ stack: 'mbed-tsdb', region: undefined, profile: undefined, apiKey: undefined });
    expect(s.connectorHost).toBe(DEFAULT_CONNECTOR_HOST);
    expect(s.sources.stack).toEqual({ source: 'default', name: 'MBED_TSDB_STACK' });
  });

  it('takes flags over the environment over .env over defaults', () => {
    const dotenv = { AWS_REGION: 'eu-west-1', AWS_PROFILE: 'dot', MBED_TSDB_STACK: 'dotstack', MBED_CLOUD_SDK_API_KEY: 'ak_dot' };
    const env = { AWS_REGION: 'us-east-2', MBED_TSDB_STACK: 'envstack' };
    const flags = { region: 'ap-southeast-2' };
    const s = resolveSettings(input({ flags, env, dotenv }));
    expect([s.region, s.stack, s.profile, s.apiKey]).toEqual(['ap-southeast-2', 'envstack', 'dot', 'ak_dot']);
    expect(s.sources.region.source).toBe('flag');
    expect(s.sources.stack).toEqual({ source: 'environment', name: 'MBED_TSDB_STACK' });
    expect(s.sources.profile).toEqual({ source: '.env', name: 'AWS_PROFILE' });
  });

  it('falls back to AWS_DEFAULT_REGION, and ignores empty variables', () => {
    expect(resolveSettings(input({ env: { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-gov-west-1' } })).region).toBe('us-gov-west-1');
  });

  it.each([
    [{ flags: { region: 'nowhere' } }, 'invalid region "nowhere" (from --region)'],
    [{ env: { AWS_REGION: 'US-WEST-2' } }, 'invalid region "US-WEST-2" (from AWS_REGION in the environment)'],
    [{ dotenv: { AWS_REGION: 'us-west' } }, 'invalid region "us-west" (from AWS_REGION in .env)'],
    [{ flags: { stack: '' } }, 'the stack name is empty (from --stack)'],
    [{ flags: { stack: '9lives' } }, 'invalid stack name "9lives"'],
    [{ flags: { stack: 'a_b' } }, 'invalid stack name "a_b"'],
    [{ flags: { stack: 'x'.repeat(33) } }, 'at most 32 characters'],
    [{ flags: { stack: 'a--b' } }, 'single hyphens'],
    [{ flags: { stack: 'ab-' } }, 'single hyphens'],
    [{ flags: { profile: 'has space' } }, 'invalid AWS profile name'],
    [{ env: { MBED_CLOUD_SDK_HOST: 'http://api.example.com' } }, 'must use https://'],
    [{ env: { MBED_CLOUD_SDK_HOST: 'not a url' } }, 'invalid Connector host'],
    [{ env: { MBED_CLOUD_SDK_HOST: 'https://api.example.com/v2' } }, 'must be a bare origin'],
  ])('refuses %j with a usage error', (over, message) => {
    expect(() => resolveSettings(input(over))).toThrow(UsageError);
    expect(() => resolveSettings(input(over))).toThrow(message);
  });

  it('refuses a malformed API key without echoing it', () => {
    const key = 'ak_secret with space';
    let error: unknown;
    try {
      resolveSettings(input({ env: { MBED_CLOUD_SDK_API_KEY: key } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).not.toContain('secret');
  });

  it('accepts the legacy Connector host and a local fake over http, dropping a trailing slash', () => {
    expect(resolveSettings(input({ env: { MBED_CLOUD_SDK_HOST: 'https://api.connector.mbed.com/' } })).connectorHost).toBe(
      'https://api.connector.mbed.com',
    );
    expect(resolveSettings(input({ env: { MBED_CLOUD_SDK_HOST: 'http://127.0.0.1:8080' } })).connectorHost).toBe('http://127.0.0.1:8080');
  });

  it.each([
    [{ isTTY: true }, true],
    [{ isTTY: false }, false],
    [{ isTTY: true, env: { NO_COLOR: '1' } }, false],
    [{ isTTY: true, flags: { color: false } }, false],
  ])('colours %j → %s', (over, color) => {
    expect(resolveSettings(input(over)).color).toBe(color);
  });
});
