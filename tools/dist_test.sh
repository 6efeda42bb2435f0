#!/usr/bin/env bash
# Distributed testing: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args]
# One process per GPU; on a machine without GPU, processes run on the CPU over gloo.
set -euo pipefail
CONFIG=${1:?usage: $0 CONFIG CHECKPOINT NUM_PROCESSES [test.py args]}
CHECKPOINT=${2:?usage: $0 CONFIG CHECKPOINT NUM_PROCESSES [test.py args]}
NPROC=${3:?usage: $0 CONFIG CHECKPOINT NUM_PROCESSES [test.py args]}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
