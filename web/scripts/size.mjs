// Reports the gzip-compressed size of the JavaScript a first visit loads
// (every script index.html references) and fails above the budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET = 300 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let raw = 0;
let gz = 0;
for (const s of scripts) {
  const b = readFileSync(join(dist, s));
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.log(`first-load JavaScript: ${scripts.length} file(s), ${kb(raw)}, ${kb(gz)} gzip (budget ${kb(BUDGET)})`);
if (scripts.length === 0 || gz > BUDGET) {
  console.error(scripts.length === 0 ? 'no scripts found in index.html' : 'over the budget');
  process.exit(1);
}
