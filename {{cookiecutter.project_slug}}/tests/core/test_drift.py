"""Data drift: summaries of two samples, compared without the rows, flag the feature that moved."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.drift import compare, drift_params, feature_distributions
from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.report.drift import drift_section

PARAMS = {"quantiles": 100, "top_categories": 20, "psi_threshold": 0.2, "fail_gate": False}


def sample(seed: int, rows: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(15, 60, rows).astype(float),  # many ties, as real integer columns have
            "song_length": rng.lognormal(12, 0.3, rows),
            "city": pd.Categorical(rng.choice(["1", "2", "3", "4"], rows, p=[0.4, 0.3, 0.2, 0.1])),
        }
    )


def summary(frame: pd.DataFrame) -> dict:
    return feature_distributions(frame, ["age", "song_length"], ["city"], PARAMS)


def test_two_samples_of_one_distribution_flag_nothing():
    scores = compare(summary(sample(1)), summary(sample(2)))
    assert set(scores) == {"age", "song_length", "city"}
    assert all(score is not None and score < 0.05 for score in scores.values()), scores


def test_identical_data_scores_zero():
    assert set(compare(summary(sample(1)), summary(sample(1))).values()) == {0.0}


def test_a_column_scaled_by_two_and_a_half_is_flagged_alone():
    base, scaled = sample(1), sample(2)
    scaled["song_length"] *= 2.5
    scores = compare(summary(scaled), summary(base))
    assert [name for name, score in scores.items() if score is not None and score > 0.2] == ["song_length"]


def test_a_category_whose_share_changes_is_flagged():
    base, changed = sample(1), sample(2)
    changed["city"] = pd.Categorical(np.where(changed["city"] == "1", "4", changed["city"].astype(str)))
    assert (compare(summary(changed), summary(base))["city"] or 0) > 0.2


def test_missing_values_are_a_bin_of_their_own():
    base, holed = sample(1), sample(2)
    holed.loc[holed.index[:1600], "age"] = np.nan  # 40 % missing, the rest unchanged in distribution
    assert (compare(summary(holed), summary(base))["age"] or 0) > 0.2


def test_added_and_removed_features_are_listed_not_scored():
    base = summary(sample(1))
    current = feature_distributions(sample(2), ["song_length"], ["city"], PARAMS)
    scores = compare(current, base)
    assert scores["age"] is None
    section = "\n".join(drift_section(current, base, "main", PARAMS))
    assert "| age | numeric | – | only in main |" in section


def test_section_flags_the_drifted_feature_and_says_when_the_base_has_no_file():
    base, scaled = sample(1), sample(2)
    scaled["song_length"] *= 2.5
    section = "\n".join(drift_section(summary(scaled), summary(base), "main", PARAMS))
    assert "**1 feature(s) drifted**: `song_length`." in section and "⚠️ drifted" in section
    assert "no drift to compute" in "\n".join(drift_section(summary(scaled), None, "main", PARAMS))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("quantiles", 5, "at least 10"), ("psi_threshold", "high", "a number above 0"), ("fail_gate", "no", "true or")],
)
def test_bad_drift_params_name_the_field(key, value, message):
    with pytest.raises(PipelineError, match=rf"drift\.{key} is .*{message}"):
        drift_params({"drift": {**PARAMS, key: value}})
