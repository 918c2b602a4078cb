"""The released model at work: scoring files of new rows, answering HTTP requests, checking a
running server against the pipeline, and watching what production sends. Run by make, not by DVC:

    python -m {{ cookiecutter.module_name }}.serving predict IN OUT [--version v0.3.0 | --stage prod]   # make predict
    python -m {{ cookiecutter.module_name }}.serving serve [--version ... | --stage ... | --bundle DIR]   # make serve
    python -m {{ cookiecutter.module_name }}.serving smoke [--url ...]                                 # make smoke
    python -m {{ cookiecutter.module_name }}.serving monitor LOG                                       # make monitor

  settings.py   serve: and monitor: of params.yaml, read and checked in one place
  bundles.py    which bundle: the workspace's, or a release's by version or stage (dvc artifacts get)
  requests.py   a request's body checked against the bundle's columns, each problem naming its field
  app.py        the FastAPI app: POST /predict, GET /health, GET /metadata
  log.py        the request log (JSON lines, size-limited) that monitoring reads
  batch.py      make predict: a CSV or Parquet file of any size, scored in blocks
  smoke.py      make smoke: a running server answers the bundle's reference rows as evaluate did
  monitor.py    make monitor: the logged rows' drift from the training data, as the drift report measures it

Every score goes through scoring/score.Scorer: the row transform preprocess used and the model
input evaluate used.
"""
