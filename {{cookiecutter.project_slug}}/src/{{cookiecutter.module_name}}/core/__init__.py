"""The rules every part of the pipeline shares, below all of them: file locations, params, errors
for people, safe writes, table checks and joins, the target and its task, which columns are
features (columns.py) and which rows are kept (rows.py), the train/test split, the CPUs a process
may use, feature summaries for drift, and how models take their input.

Nothing here imports from the rest of the package (`make lint` checks it: import-linter).
"""
