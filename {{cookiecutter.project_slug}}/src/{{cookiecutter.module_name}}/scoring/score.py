"""A bundle's scorer: raw rows of the main table in, the model's answer out, through the row
transform that preprocess used (rows.py) and the model-input code that evaluate uses
(rows.decoded_features, core/modeling.predictions). make predict, the server and the bundle stage's
skew check all score with it.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.drift import numeric_summary, quantile_levels
from ..core.errors import PipelineError
from ..core.modeling import predictions
from .bundle import Bundle
from .rows import decoded_features, encoded_rows, feature_rows


@dataclass(frozen=True)
class Scored:
    """What scoring some rows gave: the model's output (class probabilities, a column per class,
    or predicted values), the rows with their features (feature_rows: what monitoring summarises),
    the model's input in the splits' layout (encoded_rows) and each lookup's share of rows whose key
    it holds."""

    outputs: np.ndarray
    rows: pd.DataFrame
    encoded: pd.DataFrame
    coverage: dict[str, float]


class Scorer:
    """Scores raw rows with a loaded bundle (scoring/bundle.load_bundle). Stateless between calls, and
    the bundle is only read, so one scorer serves many threads, and many processes each load their own."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        transform = bundle.manifest["transform"]
        self.numeric, self.categorical = transform["numeric"], transform["categorical"]
        self.counted, self.target = transform["counted"], transform["target"]
        self.dates: dict[str, str] = transform["dates"]
        self.columns: dict[str, str] = bundle.manifest["columns"]

    def check_columns(self, raw: pd.DataFrame) -> None:
        """Every column the model reads is there (others are ignored, the target too)."""
        missing = [column for column in self.columns if column not in raw.columns]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise PipelineError(
                f"{raw.attrs['source']}: column {missing[0]!r} is missing{more}; the model reads the main table's "
                f"columns {', '.join(self.columns)}"
            )

    def score(self, raw: pd.DataFrame) -> Scored:
        """The model's output for `raw` (attrs["source"] names it in errors): unseen categories and
        ids are handled as in training (a missing category, a count of 0, a lookup that matched nothing)."""
        self.check_columns(raw)
        bundle = self.bundle
        columns = raw[list(self.columns)].copy()
        columns.attrs.update(source=raw.attrs["source"], non_finite=bundle.manifest["reading"]["non_finite"])
        prepared = feature_rows(
            columns,
            bundle.lookups,
            self.numeric,
            self.categorical,
            self.counted,
            self.target,
            self.dates,
            allow_no_match=True,
            allow_empty=True,
        )
        encoded = encoded_rows(prepared.rows, bundle.schema, bundle.counts, bundle.dtypes)
        outputs = predictions(bundle.model, decoded_features(encoded, bundle.schema, bundle.dtypes))
        return Scored(outputs, prepared.rows, encoded, prepared.coverage)

    def answer(self, outputs: np.ndarray) -> dict:
        """The outputs as an answer: predicted classes and each class's probability, or predicted values."""
        schema = self.bundle.schema
        if schema["task"] == "regression":
            return {"predictions": np.asarray(outputs, dtype=np.float64).tolist()}
        classes = schema["classes"]
        return {
            "predictions": [classes[index] for index in np.asarray(outputs).argmax(axis=1)],
            "classes": classes,
            "probabilities": np.asarray(outputs).tolist(),
        }


def prediction_scores(outputs: np.ndarray, schema: dict) -> dict[str, np.ndarray]:
    """The scores whose distribution monitoring compares: a regression's predicted values; a binary
    classifier's probability of its second class; each class's probability for several classes."""
    if schema["task"] == "regression":
        return {"prediction": np.asarray(outputs, dtype=np.float64)}
    classes = schema["classes"]
    shown = classes[1:] if len(classes) == 2 else classes
    return {f"probability[{name}]": np.asarray(outputs)[:, classes.index(name)].astype(np.float64) for name in shown}


def prediction_distribution(outputs: np.ndarray, schema: dict, drift: dict) -> dict:
    """The scores summarised as core/drift.py summarises a numeric feature (drift.quantiles quantiles)."""
    scores = prediction_scores(outputs, schema)
    levels = quantile_levels(drift)
    return {
        "rows": len(outputs),
        "features": {
            name: numeric_summary(0.0, np.quantile(values, levels) if len(values) else [])
            for name, values in scores.items()
        },
    }
