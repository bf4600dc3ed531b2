#!/usr/bin/env bash
# Set up a development environment: a venv (default .venv), the pinned
# requirements, and detkit installed in editable mode with its compiled ops.
#
#   bash tools/dev_setup.sh            # .venv, CUDA sources compiled when nvcc is found
#   VENV=/path FORCE_CUDA=0 bash tools/dev_setup.sh   # CPU-only extension
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# (pip.conf on some machines lists mirror folders that may be absent; drop that noise)
"$VENV/bin/python" -m pip install -q -r requirements/ci.txt > "$VENV/pip.log" 2>&1 || {
  grep -v "^WARNING: Location" "$VENV/pip.log" | tail -n 40; echo "pip install -r requirements/ci.txt failed"; exit 1; }
grep -v "^WARNING: Location" "$VENV/pip.log" || true

# nvcc may be a wrapper script that execs the real compiler; torch derives
# CUDA_HOME from nvcc's folder and would land on the wrapper's parent. Follow
# the wrapper to the real toolkit root (see docs/get_started.md).
if [ -z "${CUDA_HOME:-}" ] && nv=$(command -v nvcc 2>/dev/null); then
  real=$(awk '$1=="exec"{print $2; exit}' "$nv" 2>/dev/null || true)
  CUDA_HOME=$(dirname "$(dirname "$(readlink -f "${real:-$nv}")")")
  export CUDA_HOME
fi
if [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
  export FORCE_CUDA=${FORCE_CUDA:-1}
  # no GPU to detect here: name the architectures (one or two keep nvcc fast)
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.0;9.0}
fi
export MAX_JOBS=${MAX_JOBS:-2}
echo "building detkit: FORCE_CUDA=${FORCE_CUDA:-unset} CUDA_HOME=${CUDA_HOME:-unset}" \
     "TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-unset} MAX_JOBS=$MAX_JOBS"
"$VENV/bin/python" -m pip install --no-build-isolation -v -e . > "$VENV/build.log" 2>&1 || {
  tail -n 80 "$VENV/build.log"; echo "detkit build failed; full log: $VENV/build.log"; exit 1; }
# one line per compiled source: "[4/4] nvcc  csrc/cuda/nms_cuda.cu"
grep -E '^ *\[[0-9]+/[0-9]+\] ' "$VENV/build.log" | awk -v root="$PWD/" '{
  src=""; for (i = 1; i <= NF; i++) if ($i == "-c") src = $(i + 1)
  sub(root, "", src); n = split($2, p, "/"); printf "  compiled %s %-6s %s\n", $1, p[n], src }' || true
echo "detkit installed in $VENV"
"$VENV/bin/python" -m detkit.utils.collect_env
