"""Stage 4, sanity-check: is the model (and the data it saw) fit to ship?

Runs the checks of evaluation/checks.py (what each one measures is said there) on the test
split's predictions, the splits' labels and a cross-validation of the configured model, and
records each check with its value, threshold and verdict in reports/sanity.json. The stage itself
always succeeds so the verdicts reach the CI report; the gate (`make gate`) turns a failed check
into a failed run.
"""

from ..core.errors import run
from ..core.files import read_json, write_json
from ..core.modeling import load_model
from ..core.params import load_params
from ..core.paths import DATA_PROFILE_FILE, MODEL_FILE, SANITY_FILE, SCHEMA_FILE, TEST_FILE, TRAIN_FILE
from ..engine import open_engine
from ..evaluation.checks import (
    beats_chance_checks,
    class_share_checks,
    cv_fold_check,
    data_checks,
    fold_noise,
    probability_checks,
    regression_checks,
    test_rows_check,
)
from ..models import build_model


def main() -> None:
    params = load_params(required=("sanity", "train"))  # every setting checked before any work
    sanity, train_params = params["sanity"], params["train"]
    schema = read_json(SCHEMA_FILE)
    build_model(train_params, schema.get("task", "classification"))  # cross-validation refits it: checked first
    model = load_model(MODEL_FILE)
    with open_engine(params) as engine:
        train_labels = engine.labels(TRAIN_FILE, schema)
        test_labels, predicted = engine.predict(model, TEST_FILE, schema)
        fold_scores = engine.cross_validate(model, TRAIN_FILE, schema, train_params, sanity)

    noise = fold_noise(len(train_labels), sanity)
    if schema.get("task") == "regression":
        settings = sanity["regression"]
        target = read_json(DATA_PROFILE_FILE)["target_summary"]
        checks = [
            test_rows_check(len(train_labels), len(test_labels), 0, sanity),
            *regression_checks(test_labels, predicted, target, settings),
            cv_fold_check(fold_scores, settings["cv_max_fold_deviation"], noise),
        ]
    else:
        checks = [
            *data_checks(train_labels, test_labels, schema["classes"], sanity),
            *probability_checks(predicted, sanity),
            *class_share_checks(test_labels, predicted, schema["classes"], sanity),
            *beats_chance_checks(test_labels, predicted, schema["classes"], sanity),
            cv_fold_check(fold_scores, sanity["cv_max_fold_deviation"], noise),
        ]
    passed = all(item["passed"] for item in checks)
    write_json(SANITY_FILE, {"passed": passed, "checks": checks})
    failed = [item["name"] for item in checks if not item["passed"]]
    print(f"sanity-check: {len(checks) - len(failed)}/{len(checks)} passed" + (f"; failed: {failed}" if failed else ""))


if __name__ == "__main__":
    run(main)
