// `pnpm test:mutation [module …]`: runs Stryker once per module of mutation/modules.mjs (all of
// them, or those named, or MUTATE_MODULE's), each against its own tests and with its own
// incremental state, then prints every module's score and its surviving mutants.
import { spawnSync } from 'node:child_process';
import { modules } from '../mutation/modules.mjs';
import { printScores } from './mutation-report.mjs';

const named = process.argv.slice(2).filter((argument) => argument !== '--');
const names = named.length > 0 ? named : process.env.MUTATE_MODULE ? [process.env.MUTATE_MODULE] : Object.keys(modules);
const unknown = names.filter((name) => !(name in modules));
if (unknown.length > 0) {
  console.error(`test:mutation: no module named ${unknown.map((name) => `"${name}"`).join(', ')} (one of: ${Object.keys(modules).join(', ')})`);
  process.exit(2);
}

const failed = [];
for (const name of names) {
  console.log(`\n== mutation: ${name}`);
  const run = spawnSync('pnpm', ['exec', 'stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATE_MODULE: name } });
  if (run.status !== 0) failed.push(name);
}
printScores({ survivors: true });
if (failed.length > 0) {
  console.error(`test:mutation: Stryker failed for ${failed.map((name) => `"${name}"`).join(', ')} (see its output above)`);
  process.exit(1);
}
