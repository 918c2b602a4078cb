"""How a trained model is judged: its metrics, the sanity checks, its training curves, and the
gate's rules (the verdict against baseline.txt). Used by the stages, the gate and the report."""
