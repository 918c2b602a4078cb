#!/usr/bin/env bash
# GPU vs CPU training at KKBox size, on a machine with an NVIDIA GPU where DVC is not needed:
# runs a baked project's own stage modules (sample data, preprocess, then train and evaluate
# once with train.xgboost.device=cuda and once with cpu), each timed (wall, CPU seconds, peak
# RSS), and copies metrics and train_info per device into OUT.
#
#   scripts/bench_gpu.sh PROJECT_DIR [ROWS=7400000] [OUT=bench-gpu]
#
# PROJECT_DIR: a project baked with use_gpu=yes; its packages (xgboost, pandas, pyarrow,
# scikit-learn, pyyaml) must be importable by python3, its src/ is put on PYTHONPATH.
set -uo pipefail
project=$(cd "$1" && pwd)
rows=${2:-7400000}
out=$(mkdir -p "${3:-bench-gpu}" && cd "${3:-bench-gpu}" && pwd)
module=$(basename "$(dirname "$(ls "$project"/src/*/features.py)")")
export PYTHONPATH="$project/src${PYTHONPATH:+:$PYTHONPATH}" OMP_WAIT_POLICY=passive PYTHONUNBUFFERED=1
cd "$project" || exit 1

measure() {  # measure NAME COMMAND...: append "NAME rc= wall_s= cpu_s= peak_rss_mb=" to times.txt
  python3 - "$out/times.txt" "$@" <<'PY'
import resource, subprocess, sys, time
out, name, *command = sys.argv[1:]
started = time.perf_counter()
code = subprocess.call(command)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "a") as file:
    file.write(f"{name} rc={code} wall_s={wall:.1f} cpu_s={usage.ru_utime + usage.ru_stime:.1f} "
               f"peak_rss_mb={usage.ru_maxrss / 1024:.0f}\n")
sys.exit(code)
PY
}

{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; nproc; python3 --version; } | tee "$out/machine.txt"
measure sample_data python3 -m "$module.sample_data" --rows "$rows" || exit 1
measure preprocess python3 -m "$module.stages.preprocess" || exit 1
for device in cuda cpu; do
  python3 - "$device" <<'PY'
import sys, yaml
params = yaml.safe_load(open("params.yaml"))
params["train"]["xgboost"]["device"] = sys.argv[1]
yaml.safe_dump(params, open("params.yaml", "w"), sort_keys=False)
PY
  measure "train_$device" python3 -m "$module.stages.train" && cp reports/train_info.json "$out/train_info_$device.json"
  measure "evaluate_$device" python3 -m "$module.evaluate" && cp metrics.json "$out/metrics_$device.json"
done
cat "$out/times.txt"
