import { bundledRegions } from '/work/main/src/aws/rds-ca.js';
console.log([...bundledRegions()].sort().join(' '));
