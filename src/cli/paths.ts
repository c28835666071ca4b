// Locations inside the installed package (works from src/ under tsx and from dist/src/ after tsc).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding tlearn's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'tlearn') return (root = dir);
      } catch {
        // not ours: keep looking upwards
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find tlearn's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version as string;
}

/** The embedded demo dataset: Fashion-MNIST sneaker vs ankle boot (binary), or four classes (multiclass). */
export function demoDataDir(task: 'binary' | 'multiclass' = 'binary'): string {
  return path.join(packageRoot(), task === 'binary' ? 'demo-data' : 'demo-data-multiclass');
}
