#!/usr/bin/env bash
# Packs into .device/ (git-ignored) what a lent GPU machine needs to build and check tlearn there: it has PyTorch
# with CUDA in its python3, nvcc and CMake, but no Node, no network and no Gloo headers (pip's torch ships none).
# Packed: Node and its headers, the node_modules that the addon's build and the GPU benchmarks load, Gloo's
# headers (libgloo-dev's), and the compiled dist/. About 40 MB; the device tool carries it with carry [".device"],
# then `bash scripts/gpu-run.sh` runs there (see that file).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /usr/include/gloo ] || { echo "gpu-pack: /usr/include/gloo is missing: apt-get install libgloo-dev" >&2; exit 1; }
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
rm -rf .device && mkdir -p .device
npx tsc -p tsconfig.json
tar cJf .device/node.tar.xz -C / usr/bin/node usr/include/node
# The packages that scripts/build-native.mjs (cmake-js, node-addon-api) and bench/{cuda-check,ddp,backbones}
# import, with everything they depend on (node_modules is flat).
node -e '
  const fs = require("fs"), path = require("path");
  const seen = new Set(), todo = ["cmake-js", "node-addon-api", "sharp", "vega", "vega-lite", "yaml"];
  while (todo.length) {
    const name = todo.pop(), file = path.join("node_modules", name, "package.json");
    if (seen.has(name) || !fs.existsSync(file)) continue;
    seen.add(name);
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    todo.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  }
  console.log([...seen].map((name) => "node_modules/" + name).join("\n"));
' > .device/modules.txt
tar cJf .device/node_modules.tar.xz -T .device/modules.txt
tar cJf .device/gloo.tar.xz -C /usr/include gloo
tar cJf .device/dist.tar.xz dist
du -ch .device/*.tar.xz | tail -1
