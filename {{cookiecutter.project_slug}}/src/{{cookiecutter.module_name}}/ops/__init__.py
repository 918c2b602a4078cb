"""Operations around the pipeline, run by make targets rather than by DVC: the gate and its
ratchet (gate.py), model versions and stages (release.py), the DVC remote (remote.py), the
experiments table (experiments.py) and the switch from the sample data to yours (own_data.py)."""
