// Prints the mutation score of each module of mutation/modules.mjs from its last Stryker report
// (.stryker/reports/<module>.json): killed (and timed-out) mutants over all mutants that are not
// ignored (static, or disabled in the source as equivalent). Run alone: `node scripts/mutation-report.mjs`.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { modules, slug } from '../mutation/modules.mjs';

const reportFile = (name) => new URL(`../.stryker/reports/${slug(name)}.json`, import.meta.url);

/** Prints a table of every module's score, and with `survivors` each surviving mutant. */
export function printScores({ survivors = false } = {}) {
  const rows = [];
  const survivorLines = [];
  let totalKilled = 0;
  let totalValid = 0;
  for (const name of Object.keys(modules)) {
    if (!existsSync(reportFile(name))) {
      rows.push({ module: name, mutants: '—', killed: '—', survived: '—', 'no coverage': '—', ignored: '—', score: 'not run' });
      continue;
    }
    const report = JSON.parse(readFileSync(reportFile(name), 'utf8'));
    const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
    for (const [file, result] of Object.entries(report.files)) {
      for (const mutant of result.mutants) {
        if (mutant.status in counts) counts[mutant.status] += 1;
        else counts.other += 1;
        if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
          survivorLines.push(`  ${mutant.status === 'Survived' ? 'survived' : 'no coverage'}: ${name}: ${file}:${mutant.location.start.line} ${mutant.mutatorName}${mutant.replacement ? ` → ${mutant.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`);
        }
      }
    }
    const killed = counts.Killed + counts.Timeout;
    const valid = killed + counts.Survived + counts.NoCoverage;
    totalKilled += killed;
    totalValid += valid;
    rows.push({ module: name, mutants: valid, killed, survived: counts.Survived, 'no coverage': counts.NoCoverage, ignored: counts.Ignored, score: valid === 0 ? '—' : `${((100 * killed) / valid).toFixed(1)} %` });
  }
  if (survivors) for (const line of survivorLines) console.log(line);
  console.table(rows);
  console.log(`mutation score: ${totalValid === 0 ? '—' : ((100 * totalKilled) / totalValid).toFixed(1)} % of ${totalValid} mutants in the modules run (target ≥ 85 % per module)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printScores({ survivors: process.argv.includes('--survivors') });
