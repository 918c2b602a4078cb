"""The schema of params.yaml: every setting's type, range or allowed values, one line per key.

core/params.py checks params.yaml against it before any stage does any work, and reports each
problem on one line naming the key and what it may be. To add a setting, add its line here (and
its value, with a comment, to params.yaml); a key that is not here is refused as unknown, so a
misspelt setting is named rather than silently ignored (a section of your own, at the top level,
is left to the code that reads it).

Written here rather than with pydantic (which the lock has, through gto): the messages are ours to
word, a stage pays no import for it (pydantic costs about 0.3 s a process), and YAML's plain values
need no coercion, which is what such libraries mostly add.
"""

import codecs
import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """What one setting may be: `valid(value)` says whether it is; `wanted` says so in words."""

    valid: Callable[[object], bool]
    wanted: str
    optional: bool = False  # may be left out (the code has a default) or null


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a whole number too large for a float
        return False


def number(above=None, at_least=None, below=None, at_most=None, example=None) -> Rule:
    """A finite number (not true/false, not "0.2" in quotes) within the bounds given."""
    bounds = [(above, ">", lambda v, b: v > b), (at_least, ">=", lambda v, b: v >= b),
              (below, "<", lambda v, b: v < b), (at_most, "<=", lambda v, b: v <= b)]  # fmt: skip
    limits = [(bound, sign, holds) for bound, sign, holds in bounds if bound is not None]
    words = " and ".join(f"{sign} {bound}" for bound, sign, _ in limits)
    wanted = "a number" + (f" {words}" if words else "") + (f", e.g. {example}" if example is not None else "")
    return Rule(lambda value: _is_number(value) and all(holds(value, bound) for bound, _, holds in limits), wanted)


def whole(at_least=None, at_most=None, example=None) -> Rule:
    """A whole number (42, not 42.0 or "42") within the bounds given."""
    words = " and ".join(f"{sign} {bound}" for bound, sign in ((at_least, ">="), (at_most, "<=")) if bound is not None)
    wanted = "a whole number" + (f" {words}" if words else "") + (f", e.g. {example}" if example is not None else "")

    def valid(value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)

    return Rule(valid, wanted)


def text(example: str, empty: bool = False) -> Rule:
    """Text (a name, a path); empty text only where `empty` says it means something."""
    wanted = ("text" if empty else "a non-empty text") + f", e.g. {example}"
    return Rule(lambda value: isinstance(value, str) and (empty or bool(value.strip())), wanted)


def one_of(*choices) -> Rule:
    return Rule(lambda value: isinstance(value, str) and value in choices, f"one of {', '.join(choices)}")


def flag() -> Rule:
    return Rule(lambda value: isinstance(value, bool), "true or false")


def names(what: str = "column names") -> Rule:
    """A list of non-empty names, each listed once (or [])."""

    def valid(value) -> bool:
        listed = isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)
        return listed and len(set(value)) == len(value)

    return Rule(valid, f"a list of {what}, each once, e.g. [a, b] (or [])")


def names_or_auto() -> Rule:
    """A feature column list, or `auto`: every other column, typed from the data (core/columns.py)."""
    listed = names()
    return Rule(lambda value: value == "auto" or listed.valid(value), f"auto, or {listed.wanted}")


def texts(example: str) -> Rule:
    return Rule(lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value), example)


def encoding() -> Rule:
    def valid(value) -> bool:
        try:
            codecs.lookup(value)
        except (LookupError, TypeError):
            return False
        return True

    return Rule(valid, "a text encoding Python knows, e.g. utf-8, cp1252 or latin-1")


def optional(rule: Rule) -> Rule:
    """`rule`, or left out, or null (the code then uses its default)."""
    return Rule(rule.valid, rule.wanted + " (or null)", optional=True)


ANY_VALUE = Rule(lambda value: True, "any value")


@dataclass(frozen=True)
class Section:
    """A mapping of settings: `keys` each with their rule (or a nested Section). `others`, when given,
    is the rule of any key not listed (a model's own section under train: any name, checked later
    against the model's arguments)."""

    keys: dict
    optional: bool = False
    others: "Section | Rule | None" = None
    items: str = "settings"  # what its keys are, in messages
    wanted: str = field(default="a mapping of settings (key: value lines under it)")


@dataclass(frozen=True)
class Records:
    """A list of mappings of the same settings (data.lookups: table and key), or []."""

    keys: dict
    optional: bool = False
    wanted: str = "a list of entries such as - table: members.csv / key: msno (or [])"


SEED = whole(at_least=0, at_most=2**32 - 1, example=42)
SHARE = number(above=0, below=1, example=0.2)

# The arguments of xgboost, random_forest and extra_trees that params.yaml ships, with their ranges,
# each optional (null or left out: the model's default); other names a model takes are accepted here
# and checked against the model itself when train or sanity-check builds it (models.build_model).
MODEL_ARGUMENTS = {
    "n_estimators": optional(whole(at_least=1, example=200)),
    "max_depth": optional(whole(at_least=0, example=5)),
    "learning_rate": optional(number(at_least=0, example=0.3)),
    "subsample": optional(number(above=0, at_most=1, example=0.8)),
    "colsample_bytree": optional(number(above=0, at_most=1, example=0.8)),
    "early_stopping_rounds": optional(whole(at_least=1, example=10)),
    "tree_method": optional(one_of("auto", "exact", "approx", "hist")),
    "enable_categorical": optional(flag()),
    "device": optional(text("cpu or cuda")),
    "min_samples_leaf": optional(number(above=0, example=5)),
    "n_jobs": optional(whole(example=-1)),
}
MODEL_SECTION = Section(MODEL_ARGUMENTS, optional=True, others=ANY_VALUE, items="arguments")

SCHEMA = Section(
    {
        "data": Section(
            {
                "raw_dir": text("data/raw"),
                "main_table": text("interactions.csv"),
                "target": text("target (the name of one column)"),
                "task": optional(one_of("auto", "classification", "regression")),
                "lookups": Records({"table": text("members.csv"), "key": text("msno")}, optional=True),
                "numeric_columns": optional(names_or_auto()),
                "categorical_columns": optional(names_or_auto()),
                "drop_columns": optional(names()),
                "count_columns": optional(names()),
                "encoding": optional(encoding()),
                "missing_values": optional(texts('a list of texts, e.g. ["", "NA"]')),
                "non_finite": optional(one_of("error", "missing")),
                "missing_target": optional(one_of("error", "drop")),
                "duplicates": optional(one_of("warn", "drop", "keep")),
                "sample": Section({"rows": whole(at_least=1, example=20000), "seed": SEED}, optional=True),
            }
        ),
        "preprocess": Section(
            {
                "test_size": SHARE,
                "seed": SEED,
                "split": optional(one_of("random", "group", "time")),
                "group_column": optional(text("customer_id (the column whose rows stay together)")),
                "time_column": optional(text("date (the column that orders the rows in time)")),
                "raw_test_rows": whole(at_least=1, example=200),
            }
        ),
        "train": Section(
            {"model": text("xgboost"), "seed": SEED, "validation_share": SHARE},
            others=MODEL_SECTION,
            items="settings (model, seed, validation_share) or model sections",
        ),
        "evaluate": Section({"curve_points": whole(at_least=2, example=200)}),
        "sanity": Section(
            {
                "probability_tolerance": number(at_least=0, example=1.0e-6),
                "class_share_relative_tolerance": number(at_least=0, example=0.3),
                "class_share_standard_errors": number(at_least=0, example=2),
                "chance_standard_errors": number(at_least=0, example=2),
                "cv_folds": whole(at_least=2, example=5),
                "cv_max_rows": whole(at_least=2, example=50000),
                "cv_max_fold_deviation": number(at_least=0, example=0.05),
                "cv_noise_standard_errors": number(at_least=0, example=3),
                "min_test_rows": whole(at_least=1, example=100),
                "min_test_rows_per_class": whole(at_least=1, example=10),
                "min_test_share": number(above=0, below=1, example=0.1),
                "regression": Section(
                    {
                        "range_tolerance": number(at_least=0, example=0.1),
                        "max_bias": number(at_least=0, example=0.1),
                        "min_r2": number(at_most=1, example=0.0),
                        "min_prediction_spread": number(at_least=0, example=0.05),
                        "cv_max_fold_deviation": number(at_least=0, example=0.2),
                    }
                ),
            }
        ),
        "drift": Section(
            {
                "quantiles": whole(at_least=10, example=100),
                "top_categories": whole(at_least=1, example=20),
                "psi_threshold": number(above=0, example=0.2),
                "fail_gate": flag(),
            }
        ),
        "gate": Section({"metric": text("roc_auc")}),
        # make serve, make predict and make monitor (serving/settings.py applies the defaults)
        "serve": Section(
            {
                "max_rows": optional(whole(at_least=1, example=10000)),
                "max_body_mb": optional(number(at_least=1, example=20)),
                "log": optional(text('logs/requests.jsonl, "-" for standard output, "" for none', empty=True)),
                "log_max_mb": optional(number(at_least=1, example=100)),
                "block_mb": optional(number(at_least=1, example=64)),
            },
            optional=True,
        ),
        "monitor": Section(
            {
                "psi_threshold": optional(number(at_least=0, example=0.2)),
                "fail_on_drift": optional(flag()),
                "min_rows": optional(whole(at_least=1, example=100)),
                "report": optional(text("monitoring")),
            },
            optional=True,
        ),
        "compute": Section(
            {
                "engine": optional(one_of("local", "dask")),
                "scheduler": optional(text("tcp://host:8786", empty=True)),
                "connect_timeout": optional(number(above=0, example=30)),
                "storage": optional(text("s3://bucket/prefix", empty=True)),
            },
            optional=True,
        ),
    },
    # A section of your own (read by your code) is left to that code; the pipeline's are checked.
    others=ANY_VALUE,
    items="sections",
)
