"""The pipeline package of {{ cookiecutter.project_slug }}. Where things are (README.md, "Where to change what"):

dataset.py, features.py, models.py, sample_data.py   yours: your data, features and models
stages/      the DVC stages, thin: params in, engine, outputs out
scoring/     the row transform every row goes through (training, evaluation, serving), the bundle
engine/      where the heavy work runs: local (pandas) or dask, one interface
evaluation/  metrics, sanity checks, training curves and the gate's rules
report/      the CI report, one module per section
ops/         gate, release, remote, experiments, own-data: run by make, not by DVC
serving/     the released model at work: make predict, serve, smoke, monitor
core/        the rules every part shares (params, paths, tables, target, split, drift)
"""

# Every stage runs as `python -m <this package>.stages.<stage>`, so this runs before numpy,
# scikit-learn or xgboost load OpenMP, which reads its wait policy once, when it loads (core/hardware.py).
from .core.hardware import prefer_passive_waiting

prefer_passive_waiting()
