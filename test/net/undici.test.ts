// undici's two shapes: by name (Node's import() of a CommonJS package) and as `default` only
// (the bundle's chunk, where `ProxyAgent` was undefined and every proxied request failed).
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { loadUndici, undiciExports } from '../../src/net/undici.js';

describe('loading undici', () => {
  it('takes its exports by name, as Node gives them', async () => {
    expect(undiciExports(undici).ProxyAgent).toBe(undici.ProxyAgent);
    expect(typeof (await loadUndici()).ProxyAgent).toBe('function');
  });

  it('takes them from `default`, as the bundle gives them', () => {
    const bundled = { default: { ...undici } } as never;
    expect(undiciExports(bundled).ProxyAgent).toBe(undici.ProxyAgent);
  });

  it('says so when neither shape has ProxyAgent', () => {
    expect(() => undiciExports({ default: {} } as never)).toThrow(/without its ProxyAgent/);
  });
});
