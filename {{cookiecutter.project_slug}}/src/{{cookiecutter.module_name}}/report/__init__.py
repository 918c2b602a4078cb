"""The model report: how this branch's model compares with the base branch (main by default).

`make report` writes cml-report/report.md and its images; CI posts it on the pull / merge request
(`make comment`: one comment per request, replaced on each push). One module per section, in the
report's order: results.py (the gate's verdict, the metrics and params diffs, the sanity checks),
data.py (what changed in the data), drift.py (how far each feature moved), plots.py (this branch's
plots against the base's, feature importance), regression.py (a numeric target's parts), curves.py
(the training curves), environment.py (the pipeline DAG, where it ran); build.py puts them
together. revisions.py reads the base branch's copies of the results (`git show`).

It reads only files, the pipeline's small outputs and their copies on the base branch, so it is
built even when the gate fails; no stage imports it, so rewording a section reruns nothing.

    python -m {{ cookiecutter.module_name }}.report --base main --out cml-report
"""

import matplotlib

matplotlib.use("Agg")  # files only, no display needed: set before any section imports pyplot
