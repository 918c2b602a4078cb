"""The pipeline's stages, one module each, as dvc.yaml runs them (`python -m <package>.stages.<stage>`):
each reads its params, asks the engine for the heavy work, and writes its outputs."""
