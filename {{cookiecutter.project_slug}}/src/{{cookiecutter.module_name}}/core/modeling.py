"""How a model takes its input and gives its output, whichever model params.yaml names and
whichever engine fits it: category codes, early stopping's validation slice, predictions, the
folds of cross-validation, and loading a trained model to predict on the CPU.

The models themselves are built in models.py (yours to extend); nothing here needs to know which.
"""

import difflib

import joblib
import numpy as np
import pandas as pd

from .hardware import usable_cpus


def stops_early(model) -> bool:
    """Whether `model` stops adding trees when a validation slice stops improving (xgboost's
    early_stopping_rounds in params.yaml)."""
    return is_xgboost(model) and bool(model.get_params().get("early_stopping_rounds"))


def fit_model(model, features: pd.DataFrame, labels, train_params: dict):
    """Fit `model`; one that stops early learns on all but a share of the rows (train.validation_share,
    stratified by class for a classifier) and watches its loss on those (it never sees the test split)."""
    features = model_input(features, model)
    if not stops_early(model):
        # xgboost without early stopping still records its loss per round on the training rows
        return (
            model.fit(features, labels, eval_set=[(features, labels)], verbose=False)
            if is_xgboost(model)
            else model.fit(features, labels)
        )
    from sklearn.model_selection import train_test_split  # heavy (scipy): only with early stopping

    fit_x, valid_x, fit_y, valid_y = train_test_split(
        features,
        labels,
        test_size=train_params["validation_share"],
        random_state=train_params["seed"],
        stratify=labels if is_classifier(model) else None,
    )
    # xgboost records the loss of each round on every eval_set entry (evaluation/training_curves.py plots
    # them) and stops early on the last one, the validation slice. The training loss is watched on
    # as many training rows as the validation slice holds (a random sample: the split shuffled
    # them): the same curve, where every training row cost a quarter of the fit's time.
    watched = len(valid_y)
    return model.fit(
        fit_x, fit_y, eval_set=[(fit_x.iloc[:watched], fit_y[:watched]), (valid_x, valid_y)], verbose=False
    )


def predictions(model, features: pd.DataFrame):
    """What evaluate and sanity-check judge: a classifier's class probabilities (a row per row, a
    column per class), or a regressor's predicted values as float64."""
    if is_classifier(model):
        return model.predict_proba(model_input(features, model))
    return model.predict(model_input(features, model)).astype("float64")


def cross_validation_plan(labels, task: str, sanity: dict, seed: int):
    """(scoring, folds) of sanity-check's cross-validation, whichever engine runs the folds:
    ROC AUC on stratified folds for a classifier, r2 on plain folds for a regressor."""
    from sklearn.model_selection import KFold, StratifiedKFold  # heavy (scipy): sanity-check alone needs it

    if task == "regression":
        return "r2", KFold(n_splits=sanity["cv_folds"], shuffle=True, random_state=seed)
    scoring = "roc_auc" if len(np.unique(labels)) == 2 else "roc_auc_ovr"
    return scoring, StratifiedKFold(n_splits=sanity["cv_folds"], shuffle=True, random_state=seed)


def cross_validation_rows(rows: int, sanity: dict, seed: int) -> np.ndarray | None:
    """The positions (ascending) of the at most sanity.cv_max_rows training rows that sanity-check's
    cross-validation uses, the same whichever engine reads them; None when it uses all `rows`."""
    if rows <= sanity["cv_max_rows"]:
        return None
    return np.sort(np.random.default_rng(seed).choice(rows, sanity["cv_max_rows"], replace=False))


def model_input(features: pd.DataFrame, model) -> pd.DataFrame:
    """Features as `model` wants them: pandas categories for xgboost that splits on categories
    (enable_categorical); otherwise each category's integer code, a missing value being -1, a code
    of its own below every category's, which trees split off like any other.

    Not NaN for xgboost: one NaN in a column makes its whole matrix sparse to xgboost's histogram
    method, and a round on sparse rows costs about 1.4x a round on dense ones (7.4 M KKBox-shaped
    rows, where 16 % of the plays have no gender: 0.44 s a round against 0.30 s, the same trees'
    ROC AUC). A missing number stays NaN: xgboost learns where those go."""
    if is_xgboost(model) and model.get_params().get("enable_categorical"):
        return features
    # a frame built at once, not DataFrame.apply (its per-column overhead dominates small requests)
    return pd.DataFrame({name: category_codes(features[name]) for name in features.columns}, index=features.index)


def category_codes(column: pd.Series) -> pd.Series:
    """A categorical column's integer codes (-1 for a missing value); any other column unchanged."""
    return column.cat.codes if isinstance(column.dtype, pd.CategoricalDtype) else column


def load_model(path):
    """A trained model, set up to predict on the CPU-resident data the stages pass it.

    A model trained on the GPU (device=cuda) would otherwise copy every batch to the GPU, or
    warn about mismatched devices; predicting on the CPU works the same on every machine.
    """
    model = joblib.load(path)
    if is_xgboost(model):
        model.set_params(device="cpu", n_jobs=usable_cpus())
    return model


def is_classifier(model) -> bool:
    """Whether `model` predicts classes (predict_proba) rather than numbers."""
    return hasattr(model, "predict_proba")


def is_xgboost(model) -> bool:
    """Whether `model` is an xgboost model, without importing xgboost to ask."""
    return type(model).__module__.split(".")[0] == "xgboost"


# --- A model's own section of params.yaml: the arguments it takes -------------------------------
# xgboost's scikit-learn wrapper takes any keyword (**kwargs) and passes it to the booster, which
# only warns about one it does not use, after training. So a name in train.xgboost must be an
# argument of the wrapper (XGBClassifier().get_params()) or a booster parameter xgboost documents
# (xgboost.readthedocs.io/en/stable/parameter.html: general, tree booster, DART, linear booster,
# learning task, and those of its objectives).
XGBOOST_BOOSTER_PARAMETERS = frozenset(
    """
    booster device verbosity validate_parameters nthread disable_default_eval_metric
    eta learning_rate gamma min_split_loss max_depth min_child_weight max_delta_step subsample sampling_method
    colsample_bytree colsample_bylevel colsample_bynode lambda reg_lambda alpha reg_alpha tree_method
    scale_pos_weight updater refresh_leaf process_type grow_policy max_leaves max_bin num_parallel_tree
    monotone_constraints interaction_constraints multi_strategy max_cached_hist_node max_cat_to_onehot
    max_cat_threshold sample_type normalize_type rate_drop one_drop skip_drop feature_selector top_k
    objective base_score eval_metric seed seed_per_iteration tweedie_variance_power huber_slope quantile_alpha
    aft_loss_distribution lambdarank_pair_method lambdarank_num_pair_per_sample lambdarank_normalization
    lambdarank_score_normalization lambdarank_unbiased lambdarank_bias_norm ndcg_exp_gain
    """.split()  # noqa: SIM905 (a list of words, grouped as xgboost's documentation groups them)
)
SET_BY_THE_PIPELINE = {"random_state": "train.seed"}  # builders pass these themselves


def model_argument_problems(section: str, arguments: dict, default_model) -> list[str]:
    """One line per name in `arguments` (params.yaml's `section`, e.g. train.xgboost) that the model
    does not take, judged on `default_model`, the model built without them. A model that does not
    list its arguments (no get_params) is left to its constructor."""
    if not hasattr(default_model, "get_params"):
        return []
    accepted = set(default_model.get_params())
    if is_xgboost(default_model):
        accepted |= XGBOOST_BOOSTER_PARAMETERS
    accepted -= set(SET_BY_THE_PIPELINE)
    problems = []
    for name in arguments:
        if name in SET_BY_THE_PIPELINE:
            problems.append(f"params.yaml: {section}.{name} is set by the pipeline: set {SET_BY_THE_PIPELINE[name]}")
        elif name not in accepted:
            close = difflib.get_close_matches(str(name), sorted(accepted), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                f"params.yaml: {section}.{name} is not an argument of {type(default_model).__name__}{hint}: "
                f"it takes {', '.join(sorted(accepted))}"
            )
    return problems


def model_value_problems(section: str, model) -> list[str]:
    """The model's own check of its arguments' values, where it has one (scikit-learn's estimators
    check types and ranges when they fit; asked here, before any data is read)."""
    if not hasattr(model, "_parameter_constraints") or not hasattr(model, "_validate_params"):
        return []
    try:
        model._validate_params()
    except (TypeError, ValueError) as error:  # scikit-learn's InvalidParameterError is both
        return [f"params.yaml: {section}: {error}"]
    return []
