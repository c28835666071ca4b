// Runs every CPU benchmark in turn (each in its own process, so one's threads and caches do not skew the
// next) and prints their figures. `npm run bench` (after `npm run build`); one alone: node dist/bench/<name>.js.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = process.argv.slice(2).length ? process.argv.slice(2) : ['engine', 'resnet-eval', 'data-pipeline', 'train-protocol', 'onnx-predict'];
let failed = 0;
for (const name of names) {
  console.log(`\n== ${name} ==`);
  const res = spawnSync(process.execPath, [path.join(here, `${name}.js`)], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
