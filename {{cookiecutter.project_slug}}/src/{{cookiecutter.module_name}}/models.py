"""The models that `train.model` in params.yaml can name.

# ---- YOURS TO EDIT: add your own model here -----------------------------------------------
# Any scikit-learn style classifier (fit / predict_proba / feature_importances_) works: write a
# builder (it takes the arguments params.yaml gives it and the seed, and returns an unfitted
# model), add it to MODELS, and try it as an experiment, no other file changed:
#     make exp SET="train.model=decision_tree +train.decision_tree.max_depth=8"
# (the + adds the model's section to params.yaml). To keep it, put `model: decision_tree` and a
# `decision_tree:` section of its arguments under `train:` in params.yaml.
# A regressor (fit / predict / feature_importances_) goes in REGRESSORS, under the same name.

Each builder imports its library itself, so a stage loads only the library of the model it
uses (importing sklearn.ensemble costs about a second, on every stage, for nothing). How a model
takes its input (category codes, early stopping) is the pipeline's part: core/modeling.py.
"""

from .core.errors import PipelineError
from .core.hardware import usable_cpus
from .core.modeling import model_argument_problems, model_value_problems


def _xgboost(arguments: dict, seed: int):
    from xgboost import XGBClassifier  # here: a stage imports only its model's library

    # One thread per CPU the process may really use (core/hardware.py), unless params.yaml sets n_jobs.
    # Categorical columns arrive as integer codes unless train.xgboost.enable_categorical is true
    # (model_input): params.yaml says what each choice costs.
    arguments = {"n_jobs": usable_cpus(), **arguments}
    return XGBClassifier(**arguments, random_state=seed)


def _random_forest(arguments: dict, seed: int):
    from sklearn.ensemble import RandomForestClassifier  # here: a stage imports only its model's library

    return RandomForestClassifier(**arguments, random_state=seed)


def _extra_trees(arguments: dict, seed: int):
    from sklearn.ensemble import ExtraTreesClassifier  # here: a stage imports only its model's library

    return ExtraTreesClassifier(**arguments, random_state=seed)


def _xgboost_regressor(arguments: dict, seed: int):
    from xgboost import XGBRegressor  # here: a stage imports only its model's library

    arguments = {"n_jobs": usable_cpus(), **arguments}
    return XGBRegressor(**arguments, random_state=seed)


def _random_forest_regressor(arguments: dict, seed: int):
    from sklearn.ensemble import RandomForestRegressor  # here: a stage imports only its model's library

    return RandomForestRegressor(**arguments, random_state=seed)


def _extra_trees_regressor(arguments: dict, seed: int):
    from sklearn.ensemble import ExtraTreesRegressor  # here: a stage imports only its model's library

    return ExtraTreesRegressor(**arguments, random_state=seed)


MODELS = {
    "xgboost": _xgboost,
    "random_forest": _random_forest,
    "extra_trees": _extra_trees,
}


# The same names for a regression target (data.task); each takes the same params.yaml section.
REGRESSORS = {
    "xgboost": _xgboost_regressor,
    "random_forest": _random_forest_regressor,
    "extra_trees": _extra_trees_regressor,
}


def build_model(train_params: dict, task: str = "classification"):
    """A fresh, unfitted model as `train:` in params.yaml describes it, for the task preprocess decided."""
    name = train_params["model"]
    builders = REGRESSORS if task == "regression" else MODELS
    if name not in builders:
        raise PipelineError(
            f"params.yaml: train.model is {name!r}; choose one of {', '.join(builders)} "
            f"(or add yours to {'REGRESSORS' if task == 'regression' else 'MODELS'} in models.py)"
        )
    arguments = train_params.get(name) or {}
    # Every argument named, and its value, checked before any data is read (core/modeling.py):
    # xgboost would take an unknown one and only warn once it had trained.
    problems = model_argument_problems(f"train.{name}", arguments, _default_model(builders[name], train_params))
    if problems:
        raise PipelineError("\n".join(problems))
    try:
        model = builders[name](arguments, train_params["seed"])
    except TypeError as error:
        raise PipelineError(f"params.yaml: train.{name} has an argument the model does not take: {error}") from None
    problems = model_value_problems(f"train.{name}", model)
    if problems:
        raise PipelineError("\n".join(problems))
    return model


def _default_model(builder, train_params: dict):
    """The model with none of params.yaml's arguments, whose own list of arguments says which it takes."""
    try:
        return builder({}, train_params["seed"])
    except TypeError:  # a builder of yours that needs some argument: its constructor checks them
        return None
