// Prints the mutation score of each module of stryker.config.mjs from .stryker/report.json:
// killed (and timed-out) mutants over all mutants that are not ignored or equivalent.
import { readFileSync } from 'node:fs';
import { modules } from '../stryker.config.mjs';

const report = JSON.parse(readFileSync(new URL('../.stryker/report.json', import.meta.url), 'utf8'));
const globToRegExp = (glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
const rows = [];
let totalKilled = 0;
let totalValid = 0;
for (const [name, globs] of Object.entries(modules)) {
  const patterns = globs.map(globToRegExp);
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  const survivors = [];
  for (const [file, result] of Object.entries(report.files)) {
    if (!patterns.some((pattern) => pattern.test(file))) continue;
    for (const mutant of result.mutants) {
      if (mutant.status in counts) counts[mutant.status] += 1;
      else counts.other += 1;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') survivors.push(`${file}:${mutant.location.start.line} ${mutant.mutatorName}${mutant.replacement ? ` → ${mutant.replacement.slice(0, 60)}` : ''}`);
    }
  }
  const killed = counts.Killed + counts.Timeout;
  const valid = killed + counts.Survived + counts.NoCoverage;
  totalKilled += killed;
  totalValid += valid;
  rows.push({ module: name, mutants: valid, killed, survived: counts.Survived, 'no coverage': counts.NoCoverage, score: valid === 0 ? '—' : `${((100 * killed) / valid).toFixed(1)} %` });
  if (process.argv.includes('--survivors')) for (const line of survivors) console.log(`  survived: ${name}: ${line}`);
}
console.table(rows);
console.log(`mutation score: ${totalValid === 0 ? '—' : ((100 * totalKilled) / totalValid).toFixed(1)} % of ${totalValid} mutants (target ≥ 85 %)`);
