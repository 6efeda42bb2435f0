#!/usr/bin/env bash
# Install mmcv (version from requirements/mmcv.txt) with its compiled ops into the
# environment of PYTHON, which must already have torch.
#
#   tools/misc/install_mmcv.sh PYTHON [WHEEL_DIR ...]
#
# No mmcv 2.x wheel exists for current torch, so mmcv is compiled from its PyPI sdist
# (~900-1,100 s of CPU time, an estimated 9 min on 2 idle cores). Built wheels are kept
# in $ULTRASAM_WHEEL_CACHE (default ~/.cache/ultrasam/wheels/<torch version>-<cpu|cuda>)
# and reused; WHEEL_DIR arguments are extra read-only caches (e.g. ../shared/wheels).
# A cached wheel is kept only if its ops load against the installed torch (the C++ ABI
# must match). With nvcc and a visible GPU the CUDA ops are compiled (FORCE_CUDA=1), and
# only CUDA-built wheels are reused; torch then targets only the visible GPUs unless
# TORCH_CUDA_ARCH_LIST says otherwise. The C++ sources are compiled without debug info
# (see CFLAGS below); a CFLAGS set in the environment is used as given instead.
set -euo pipefail

PYTHON=${1:?usage: install_mmcv.sh PYTHON [WHEEL_DIR ...]}
shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
MMCV_VERSION=$(sed -n 's/^mmcv==\([0-9.]*\).*/\1/p' "$HERE/requirements/mmcv.txt")
PIP=("$PYTHON" -m pip)

ops_load() {
    "$PYTHON" - <<PY >/dev/null 2>&1
import mmcv, mmcv.ops, torch
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
PY
}

if ops_load; then
    echo "mmcv $MMCV_VERSION with compiled ops already installed"
    exit 0
fi

TORCH_VERSION=$("$PYTHON" -c 'import torch; print(torch.__version__.split("+")[0])')
if command -v nvcc >/dev/null 2>&1 && "$PYTHON" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
    FORCE_CUDA=1; FLAVOUR=cuda
else
    FORCE_CUDA=0; FLAVOUR=cpu
fi
CACHE=${ULTRASAM_WHEEL_CACHE:-$HOME/.cache/ultrasam/wheels/$TORCH_VERSION-$FLAVOUR}
mkdir -p "$CACHE"

# The prebuilt caches given on the command line hold CPU-op wheels only.
CANDIDATES=("$CACHE")
if [ "$FLAVOUR" = cpu ]; then
    CANDIDATES+=("$@")
fi
for dir in "${CANDIDATES[@]}"; do
    ls "$dir"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1 || continue
    echo "trying mmcv wheel from $dir"
    if "${PIP[@]}" install -q --no-deps --force-reinstall --no-index --find-links "$dir" "mmcv==$MMCV_VERSION" && ops_load; then
        echo "installed mmcv $MMCV_VERSION from $dir"
        exit 0
    fi
    echo "the wheel in $dir does not fit torch $TORCH_VERSION; trying the next source"
done

echo "compiling mmcv $MMCV_VERSION ($FLAVOUR ops) against torch $TORCH_VERSION; this takes ~1,000 s of CPU time (~9 min on 2 idle cores)"
"${PIP[@]}" install -q -r "$HERE/requirements/build.txt"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$WORK"
tar xzf "$WORK/mmcv-$MMCV_VERSION.tar.gz" -C "$WORK"
# torch >= 2.14 headers need C++20 (std::strong_ordering); mmcv 2.1.0 hard-codes C++17.
if "$PYTHON" -c 'import sys, torch; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(v < (2, 14))'; then
    sed -i 's/-std=c++17/-std=c++20/g' "$WORK/mmcv-$MMCV_VERSION/setup.py"
fi
# Python's own CFLAGS (-DNDEBUG -g -fwrapv -O3 -Wall on CPython builds) reach every
# g++ command of the build, -g included; debug info for 77 torch-heavy translation units
# doubles the compile's CPU time and makes _ext.so 40x larger (README, Installation
# notes). Setuptools >= 75.7 uses an environment CFLAGS instead of Python's, older ones
# append it: Python's flags followed by -g0 keep -O3 and -DNDEBUG either way, -g0 last.
if [ -z "${CFLAGS+set}" ]; then
    CFLAGS="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("CFLAGS") or "")') -g0"
    export CFLAGS
fi
MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    "${PIP[@]}" wheel --no-build-isolation --no-deps "$WORK/mmcv-$MMCV_VERSION" -w "$CACHE"
"${PIP[@]}" install -q --no-deps --force-reinstall --no-index --find-links "$CACHE" "mmcv==$MMCV_VERSION"
ops_load || { echo "mmcv $MMCV_VERSION was built but its ops do not load" >&2; exit 1; }
echo "installed mmcv $MMCV_VERSION built in $CACHE"
