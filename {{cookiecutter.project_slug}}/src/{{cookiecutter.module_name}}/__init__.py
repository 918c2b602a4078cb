"""The pipeline package of {{ cookiecutter.project_slug }}: one module per stage; see README.md."""

# Every stage runs as `python -m <this package>.<stage>`, so this runs before numpy, scikit-learn
# or xgboost load OpenMP, which reads its wait policy once, when it loads (see compute.py).
from .compute import prefer_passive_waiting

prefer_passive_waiting()
