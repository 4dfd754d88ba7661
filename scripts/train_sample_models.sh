#!/usr/bin/env bash
# Retrains the bundled trained sample models from their sample_models/NAME/train*.json and refreshes their
# model files and metrics.json (what the model cards quote and tests/test_samples.cpp re-checks).
#   scripts/train_sample_models.sh [NAME...]     default: every folder with a train.json
# Stages: a folder's train-1.json, train-2.json, ... train first, in order, into build/sample-training/NAME-1,
# NAME-2, ...; each later stage fine-tunes the one before it ("init_from"), and train.json is the last stage.
# A folder with eval-task.json is evaluated on that task instead of its training task.
# Needs a built headlight-cli (scripts/dev.sh build). Each model trains in at most 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${HEADLIGHT_CLI:-build/bin/headlight-cli}
work=build/sample-training
mkdir -p "$work"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in sample_models/*/train.json; do names+=("$(basename "$(dirname "$f")")"); done
fi

for name in "${names[@]}"; do
    dir=sample_models/$name
    [ -f "$dir/train.json" ] || { echo "$dir/train.json: not found" >&2; exit 2; }
    for stage in "$dir"/train-[0-9].json; do
        [ -f "$stage" ] || continue
        n=$(basename "$stage" .json); n=${n#train-}
        rm -rf "${work:?}/$name-$n"
        echo "== $name: stage $n"
        "$cli" train --config "$stage" --out "$work/$name-$n" > "$work/$name-$n.json"
    done
    rm -rf "$work/$name"
    echo "== $name"
    "$cli" train --config "$dir/train.json" --out "$work/$name" > "$work/$name.json"
    cp "$work/$name"/{config.json,model.safetensors,vocab.json,training.json} "$dir/"
    task=()
    [ -f "$dir/eval-task.json" ] && task=(--task "$(cat "$dir/eval-task.json")")
    "$cli" evaluate "$dir" "${task[@]}" --n 1000 > "$work/$name-metrics.json"
    mv "$work/$name-metrics.json" "$dir/metrics.json"
    echo "   $(grep -m1 '"accuracy"' "$dir/metrics.json")"
done
