"""The models that `train.model` in params.yaml can name, and how each one takes its input.

# --- Add your own model here -------------------------------------------------------------
# Any scikit-learn style classifier (fit / predict_proba / feature_importances_) works: add a
# builder to MODELS and a section with its arguments under `train:` in params.yaml.
"""

import joblib
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from xgboost import XGBClassifier

from .common import PipelineError


def _xgboost(arguments: dict, seed: int):
    # Categorical columns are passed as pandas categories and split on natively.
    return XGBClassifier(**arguments, random_state=seed, enable_categorical=True)


def _random_forest(arguments: dict, seed: int):
    return RandomForestClassifier(**arguments, random_state=seed)


def _extra_trees(arguments: dict, seed: int):
    return ExtraTreesClassifier(**arguments, random_state=seed)


MODELS = {"xgboost": _xgboost, "random_forest": _random_forest, "extra_trees": _extra_trees}


def build_model(train_params: dict):
    """A fresh, unfitted model as `train:` in params.yaml describes it."""
    name = train_params["model"]
    if name not in MODELS:
        raise PipelineError(
            f"params.yaml: train.model is {name!r}; choose one of {', '.join(MODELS)} (or add yours in models.py)"
        )
    arguments = train_params.get(name) or {}
    try:
        return MODELS[name](arguments, train_params["seed"])
    except TypeError as error:
        raise PipelineError(f"params.yaml: train.{name} has an argument the model does not take: {error}") from None


def model_input(features: pd.DataFrame, model) -> pd.DataFrame:
    """Features as `model` wants them: categories for xgboost, integer codes (-1 = missing) otherwise."""
    if isinstance(model, XGBClassifier):
        return features
    return features.apply(lambda column: column.cat.codes if isinstance(column.dtype, pd.CategoricalDtype) else column)


def load_model(path):
    """A trained model, set up to predict on the CPU-resident data the stages pass it.

    A model trained on the GPU (device=cuda) would otherwise copy every batch to the GPU, or
    warn about mismatched devices; predicting on the CPU works the same on every machine.
    """
    model = joblib.load(path)
    if isinstance(model, XGBClassifier):
        model.set_params(device="cpu")
    return model
