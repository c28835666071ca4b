// A copy of the compiled package (dist/src and package.json) in `dir`/pkg whose node_modules links every installed
// package but `missing`: how a user's install looks without an optional dependency (e.g. onnxruntime-node).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Returns the copy's folder (`dir`/pkg). */
export function packageWithout(dir: string, missing: string): string {
  const pkg = path.join(dir, 'pkg');
  fs.cpSync(path.join(root, 'dist', 'src'), path.join(pkg, 'dist', 'src'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  const modules = fs.realpathSync(path.join(root, 'node_modules'));
  fs.mkdirSync(path.join(pkg, 'node_modules'));
  for (const name of fs.readdirSync(modules)) {
    if (name !== missing) fs.symlinkSync(path.join(modules, name), path.join(pkg, 'node_modules', name));
  }
  return pkg;
}
