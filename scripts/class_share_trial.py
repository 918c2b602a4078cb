"""The class sanity checks on public imbalanced data: the gate's verdict for sound, constant and
inverted models across split seeds, under the checks before and after issue 20.

Before: each class's share of the rows predicted as that class (its most probable class) against
its share of the test split, and a class never predicted fails. After: each class's mean predicted
probability against its share (calibration in the large), and its one-vs-rest ROC AUC above chance.
Both with the same tolerance (sanity.class_share_* of the project's params.yaml).

Run from a set-up project's folder with its Python (its params.yaml gives the model and thresholds):
    cd <project> && .venv/bin/python <template>/scripts/class_share_trial.py [--seeds 8] [--markdown]
Each data set is one that a package ships inside itself (nothing is downloaded): scikit-learn's (in
the project's lock) always; statsmodels', palmerpenguins' and vega_datasets' when importable, e.g.
installed beside the project's packages rather than into them:
    uv pip install --python .venv/bin/python --target /tmp/trial-data --no-deps \
        statsmodels==0.15.0 patsy==1.0.3 palmerpenguins==0.1.6 vega-datasets==0.9.0
    PYTHONPATH=/tmp/trial-data .venv/bin/python <template>/scripts/class_share_trial.py --markdown

Per data set and split seed, the split is the pipeline's (core/split.py, stratified, preprocess.test_size),
the sound model is the project's default (models.build_model with params.yaml's train section, fitted
as the train stage fits it, early stopping included), and the models judged are:
  sound              that model's test probabilities
  constant-prior     every row gets the training split's class shares
  constant-majority  every row gets probability 1 for the training split's most frequent class
  inverted           the sound model's probabilities reversed across classes (binary), or shifted
                     one class along (multi-class: no class keeps its own column)
A verdict is the sanity checks that judge predictions (test rows, classes in both splits,
probabilities in range and summing to one, and the class checks); cross-validation's fold check
refits the model on training rows and says nothing about these predictions, so it is left out.
"""

import argparse
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from project_modules import project_modules


@dataclass
class Dataset:
    name: str
    source: str
    features: pd.DataFrame
    labels: np.ndarray  # class codes 0..k-1
    classes: list[str]


def coded(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as float32: categories as their codes (missing stays missing)."""
    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype("float32")
        else:
            codes = column.astype("category").cat.codes.astype("float32")
            columns[name] = codes.where(codes >= 0)
    return pd.DataFrame(columns)


def dataset(name: str, source: str, features: pd.DataFrame, target: pd.Series) -> Dataset:
    keep = target.notna().to_numpy()
    classes, labels = np.unique(target[keep].astype(str), return_inverse=True)
    return Dataset(name, source, coded(features[keep].reset_index(drop=True)), labels, [str(c) for c in classes])


def breast_cancer() -> Dataset:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True)
    names = np.array(frame.target_names)[frame.target]  # malignant 37 %
    return dataset("breast_cancer", "scikit-learn", frame.data, pd.Series(names))


def diabetes_above(quantile: float) -> Callable[[], Dataset]:
    def load() -> Dataset:
        from sklearn.datasets import load_diabetes

        frame = load_diabetes(as_frame=True)
        high = frame.target > frame.target.quantile(quantile)  # disease progression in the top 25 % / 15 %
        return dataset(f"diabetes>q{quantile * 100:.0f}", "scikit-learn", frame.data, high.map({True: "high", False: "rest"}))

    load.__name__ = f"diabetes_above_q{quantile * 100:.0f}"
    return load


def wine() -> Dataset:
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True)
    return dataset("wine", "scikit-learn", frame.data, frame.target.astype(str))


def fair_affairs() -> Dataset:
    from statsmodels.datasets import fair

    frame = fair.load_pandas().data
    had = (frame["affairs"] > 0).map({True: "affair", False: "none"})  # 32 %
    return dataset("fair:affairs>0", "statsmodels", frame.drop(columns=["affairs"]), had)


def penguins() -> Dataset:
    from palmerpenguins import load_penguins

    frame = load_penguins()
    return dataset("penguins", "palmerpenguins", frame.drop(columns=["species"]), frame["species"])


def seattle_weather() -> Dataset:
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    date = pd.to_datetime(frame["date"])
    features = frame[["precipitation", "temp_max", "temp_min", "wind"]].assign(month=date.dt.month)
    return dataset("seattle_weather", "vega_datasets", features, frame["weather"])


def cars_origin() -> Dataset:
    from vega_datasets import local_data

    frame = local_data.cars()
    features = frame.drop(columns=["Name", "Origin", "Year"]).assign(year=pd.to_datetime(frame["Year"]).dt.year)
    return dataset("cars:origin", "vega_datasets", features, frame["Origin"])


LOADERS: list[Callable[[], Dataset]] = [
    breast_cancer,
    diabetes_above(0.75),
    diabetes_above(0.85),
    fair_affairs,
    wine,
    penguins,
    cars_origin,
    seattle_weather,
]


def argmax_share_checks(labels: np.ndarray, probabilities: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    """The class-share check before issue 20 (evaluation/checks.py until then), kept here to compare:
    each class's share of the argmax predictions against its share, and a class never predicted fails."""
    predicted = probabilities.argmax(axis=1)
    checks = []
    for index, name in enumerate(classes):
        actual, share = float((labels == index).mean()), float((predicted == index).mean())
        noise = math.sqrt(actual * (1 - actual) / max(len(labels), 1))
        tolerance = sanity["class_share_relative_tolerance"] * actual + sanity["class_share_standard_errors"] * noise
        never = actual > 0 and share == 0
        checks.append({"name": f"class_share[{name}]", "passed": abs(share - actual) <= tolerance and not never})
    return checks


def judged_models(sound: np.ndarray, train_labels: np.ndarray, classes: int) -> dict[str, np.ndarray]:
    rows = len(sound)
    prior = np.bincount(train_labels, minlength=classes) / len(train_labels)
    majority = np.eye(classes)[np.argmax(prior)]
    inverted = sound[:, ::-1] if classes == 2 else np.roll(sound, 1, axis=1)
    return {
        "sound": sound,
        "constant-prior": np.tile(prior, (rows, 1)),
        "constant-majority": np.tile(majority, (rows, 1)),
        "inverted": inverted,
    }


def failed_names(checks: list[dict]) -> list[str]:
    return [check["name"].split("[")[0] for check in checks if not check["passed"]]


def trial(data: Dataset, seeds: range, params: dict, modules) -> dict:
    """{model: {"before": [verdicts per seed], "after": [...], "failed_after": {check: count}}}; and the
    sound model's ROC AUC (one-vs-rest, macro) per seed under "auc"."""
    split, checks, modeling, models = modules
    from sklearn.metrics import roc_auc_score

    sanity, train_params = params["sanity"], params["train"]
    results: dict = {"auc": []}
    for seed in seeds:
        is_test = split.holdout_mask(len(data.labels), params["preprocess"]["test_size"], seed, data.labels)
        train_x, test_x = data.features[~is_test], data.features[is_test]
        train_y, test_y = data.labels[~is_test], data.labels[is_test]
        model = modeling.fit_model(models.build_model(train_params), train_x, train_y, train_params)
        sound = modeling.predictions(model, test_x)
        results["auc"].append(
            roc_auc_score(test_y, sound[:, 1]) if len(data.classes) == 2 else roc_auc_score(test_y, sound, multi_class="ovr")
        )
        common = checks.data_checks(train_y, test_y, data.classes, sanity)
        for name, probabilities in judged_models(sound, train_y, len(data.classes)).items():
            common_here = common + checks.probability_checks(probabilities, sanity)
            before = common_here + argmax_share_checks(test_y, probabilities, data.classes, sanity)
            after = (
                common_here
                + checks.class_share_checks(test_y, probabilities, data.classes, sanity)
                + checks.beats_chance_checks(test_y, probabilities, data.classes, sanity)
            )
            entry = results.setdefault(name, {"before": [], "after": [], "failed_after": {}})
            entry["before"].append(all(check["passed"] for check in before))
            entry["after"].append(all(check["passed"] for check in after))
            for failed in set(failed_names(after)):
                entry["failed_after"][failed] = entry["failed_after"].get(failed, 0) + 1
    return results


def verdict_cell(verdicts: list[bool]) -> str:
    marks = "".join("P" if passed else "F" for passed in verdicts)
    return f"{sum(verdicts)}/{len(verdicts)} pass `{marks}`"


def describe(data: Dataset) -> str:
    shares = np.bincount(data.labels) / len(data.labels)
    return f"{len(data.labels)} rows, {len(data.classes)} classes, smallest {shares.min():.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="split seeds per data set (0, 1, ...)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    arguments = parser.parse_args()
    split, checks, modeling, models, params_module = project_modules(
        "core.split", "evaluation.checks", "core.modeling", "models", "core.params"
    )
    params = params_module.load_params()
    if params["train"]["model"] != "xgboost":
        print(f"note: train.model is {params['train']['model']}, not the default xgboost")
    seeds = range(arguments.seeds)
    header = ["data set (source)", "rows, classes", "model", "sound ROC AUC", "before: verdicts by seed",
              "after: verdicts by seed", "after: checks failed (seeds)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] if arguments.markdown else []
    skipped = []
    for loader in LOADERS:
        try:
            data = loader()
        except ImportError as error:
            skipped.append(f"{loader.__name__} ({error.name} is not importable)")
            continue
        results = trial(data, seeds, params, (split, checks, modeling, models))
        aucs = f"{min(results['auc']):.3f}-{max(results['auc']):.3f}"
        for name in ("sound", "constant-prior", "constant-majority", "inverted"):
            entry = results[name]
            failed = ", ".join(f"{check} {count}" for check, count in sorted(entry["failed_after"].items())) or "-"
            cells = [f"{data.name} ({data.source})", describe(data), name, aucs if name == "sound" else "",
                     verdict_cell(entry["before"]), verdict_cell(entry["after"]), failed]
            lines.append("| " + " | ".join(cells) + " |" if arguments.markdown else "  ".join(cells))
        print("\n".join(lines), flush=True)
        lines = []
    if skipped:
        print(f"skipped: {'; '.join(skipped)}")
    print(f"seeds {seeds.start}-{seeds.stop - 1}; sanity: relative tolerance {params['sanity']['class_share_relative_tolerance']}, "
          f"{params['sanity']['class_share_standard_errors']} standard errors, chance {params['sanity']['chance_standard_errors']} "
          f"standard errors; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")


if __name__ == "__main__":
    main()
