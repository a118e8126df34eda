// Pre-subscription rules are one list per account, shared with whatever else uses it:
// read, merge, write — and only ever add or remove the rules this tool made.

export interface PreSubscription {
  'endpoint-name'?: string;
  'endpoint-type'?: string;
  'resource-path'?: string[];
  [other: string]: unknown;
}

export interface OurRule {
  endpoint: string;
  resource: string;
}

function isOurs(rule: PreSubscription, ours: OurRule): boolean {
  const keys = Object.keys(rule).sort().join(',');
  return (
    keys === 'endpoint-name,resource-path' &&
    rule['endpoint-name'] === ours.endpoint &&
    rule['resource-path']?.length === 1 &&
    rule['resource-path'][0] === ours.resource
  );
}

/** The rules with ours added (once); null when nothing needs writing. */
export function withRule(rules: readonly PreSubscription[], ours: OurRule): PreSubscription[] | null {
  if (rules.some((rule) => isOurs(rule, ours))) return null;
  return [...rules, { 'endpoint-name': ours.endpoint, 'resource-path': [ours.resource] }];
}

/** The rules without ours, everyone else's kept as they are; null when ours is not there. */
export function withoutRule(rules: readonly PreSubscription[], ours: OurRule): PreSubscription[] | null {
  const kept = rules.filter((rule) => !isOurs(rule, ours));
  return kept.length === rules.length ? null : kept;
}

/** The rules with all of ours added (or removed); null when nothing needs writing. */
export function changeRules(rules: readonly PreSubscription[], ours: readonly OurRule[], change: 'add' | 'remove'): PreSubscription[] | null {
  let list: PreSubscription[] = [...rules];
  let changed = false;
  for (const rule of ours) {
    const next = change === 'add' ? withRule(list, rule) : withoutRule(list, rule);
    if (next) {
      list = next;
      changed = true;
    }
  }
  return changed ? list : null;
}
