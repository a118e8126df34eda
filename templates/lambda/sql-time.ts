/** An instant (epoch ms) as a DATETIME literal's text in UTC: what the tables store. */
export const sqlTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
