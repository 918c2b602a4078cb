"""Operations around the pipeline, run by make targets rather than by DVC: the gate and its
ratchet (gate.py), model versions and stages (release.py), the DVC remote (remote.py) and the
experiments table (experiments.py)."""
