#!/usr/bin/env bash
# Installs what is missing on a Debian/Ubuntu machine and builds tlearn:
#   system packages (libtorch-dev, libgloo-dev, cmake, g++), Node packages, the native addon, the TypeScript build.
# Options:
#   --test-deps   also install what the test suite needs (Python torch/torchvision/scikit-learn as the
#                 numeric oracle, python3-onnx as the ONNX checker, python3-pydicom as the DICOM oracle,
#                 Chromium for the report and web-page tests); the product itself never needs them
#   --demo        run `tlearn demo` at the end
# Set LIBTORCH=/path/to/libtorch (or have a pip torch) to build against another libtorch, e.g. one with CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0; want_demo=0
for arg in "$@"; do
  case "$arg" in
    --test-deps) want_test=1 ;;
    --demo) want_demo=1 ;;
    *) echo "setup.sh: unknown option $arg (expected --test-deps or --demo)" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(cmake g++ make)
# libtorch: skip the system package when the user points at another libtorch.
# libgloo-dev: the Gloo headers that distributed training (c10d's ProcessGroupGloo) compiles against.
if [ -z "${LIBTORCH:-}" ]; then packages+=(libtorch-dev libgloo-dev); fi
if [ "$want_test" = 1 ]; then packages+=(python3-torch python3-torchvision python3-sklearn python3-onnx python3-pydicom chromium openssl); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup.sh: please install: ${missing[*]} (no apt-get on this machine)" >&2; exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then echo "setup.sh: tlearn needs Node.js 20 or newer (found $(node --version 2>/dev/null || echo none))" >&2; exit 1; fi

# Node packages (exactly the locked versions), then the addon and the TypeScript build.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node (optional: ONNX export and prediction) has its CPU build inside the package; the
  # variable stops its install script from trying to download CUDA files.
  ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund
fi
if [ ! -f build/Release/tlearn_native.node ] || [ -n "$(find native CMakeLists.txt -newer build/Release/tlearn_native.node -print -quit)" ]; then
  npm run --silent build:native
fi
npm run --silent build

if [ "$want_demo" = 1 ]; then
  node bin/tlearn.js demo
fi
