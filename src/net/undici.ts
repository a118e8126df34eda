// undici, loaded when a proxy is set. It is a CommonJS package: Node's import() hands over its
// exports by name, but in the bundle (esbuild, split chunks) a dynamically imported CommonJS
// module is a chunk whose only export is `default` — `ProxyAgent` was undefined there, and every
// request through a proxy failed. One loader takes whichever shape it gets.

import type * as Undici from 'undici';

export type UndiciModule = typeof Undici;

/** The module's exports whether they come by name (Node) or as `default` (the bundle). */
export function undiciExports(loaded: UndiciModule & { default?: unknown }): UndiciModule {
  if (typeof loaded.ProxyAgent === 'function') return loaded;
  const inner = loaded.default as UndiciModule | undefined;
  if (inner && typeof inner.ProxyAgent === 'function') return inner;
  throw new Error('undici was loaded without its ProxyAgent');
}

export async function loadUndici(): Promise<UndiciModule> {
  return undiciExports((await import('undici')) as UndiciModule & { default?: unknown });
}
