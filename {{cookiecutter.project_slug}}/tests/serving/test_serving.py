"""Serving on a tiny project whose stages ran in-process (preprocess, train, evaluate, bundle), for a
classification and a regression target: the served answers are evaluate's, bad requests get a 4xx
naming the field and the server stays healthy, unseen ids and categories are handled as in training,
make predict scores files in blocks, and monitoring flags exactly the feature that moved.
The app runs in-process (FastAPI's TestClient); the template's tests run a real uvicorn server."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.files import read_json
from {{ cookiecutter.module_name }}.core.modeling import load_model
from {{ cookiecutter.module_name }}.engine.local import LocalEngine
from {{ cookiecutter.module_name }}.scoring.bundle import load_bundle
from {{ cookiecutter.module_name }}.scoring.score import Scorer
from {{ cookiecutter.module_name }}.serving.app import create_app
from {{ cookiecutter.module_name }}.serving.batch import predict_file
from {{ cookiecutter.module_name }}.serving.bundles import Release
from {{ cookiecutter.module_name }}.serving.log import RequestLog
from {{ cookiecutter.module_name }}.serving.monitor import monitor, outcome
from {{ cookiecutter.module_name }}.serving.settings import DEFAULT_SERVE, monitor_settings
from {{ cookiecutter.module_name }}.serving.smoke import records
from {{ cookiecutter.module_name }}.stages import bundle, evaluate, preprocess, train

from conftest import make_tables, with_source, working_directory, write_tiny_project

TASKS = {
    "classification": {},
    "regression": {"gate": {"metric": "r2"}},
}


def tiny_tables(task: str):
    main, lookups = make_tables()
    if task == "regression":  # a numeric target, as tests/core/test_target.py makes one
        main = with_source(
            main.assign(target=np.random.default_rng(1).normal(100, 15, len(main)).round(2)), "interactions.csv"
        )
    return main, lookups


@pytest.fixture(scope="module", params=list(TASKS))
def built(request, tmp_path_factory) -> tuple[Path, str]:
    """(a tiny project whose pipeline ran up to the bundle, its task); every test split row kept raw."""
    folder = write_tiny_project(
        tmp_path_factory.mktemp(request.param),
        tiny_tables(request.param),
        preprocess={"raw_test_rows": 1000},
        **TASKS[request.param],
    )
    with working_directory(folder):
        for stage in (preprocess, train, evaluate, bundle):
            stage.main()
    return folder, request.param


def release_of(folder: Path) -> Release:
    return Release(folder / "models/bundle", "model", "v9.9.9", "prod", "0123abc")


@pytest.fixture(scope="module")
def client(built):
    folder, _ = built
    app = create_app(release_of(folder), DEFAULT_SERVE | {"log": str(folder / "logs/requests.jsonl")})
    with TestClient(app) as started:  # the lifespan loads the bundle
        yield started


def test_served_answers_are_evaluates_predictions_for_every_test_row(built, client):
    # given the test split's rows as they were read, and evaluate's predictions for that split
    folder, task = built
    raw = pd.read_parquet(folder / "data/raw_test_rows.parquet")
    schema = read_json(folder / "data/processed/schema.json")
    _, expected = LocalEngine().predict(
        load_model(folder / "models/model.joblib"), folder / "data/processed/test.parquet", schema
    )
    assert len(raw) == len(expected)  # the whole test split
    # when the server is asked about the raw rows
    response = client.post("/predict", json=records(raw))
    # then it answers exactly what evaluate computed, with the version it serves
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["version"] == "v9.9.9"
    if task == "classification":
        np.testing.assert_array_equal(np.asarray(answer["probabilities"]), np.asarray(expected, dtype=np.float64))
        assert answer["predictions"] == [schema["classes"][index] for index in expected.argmax(axis=1)]
    else:
        np.testing.assert_array_equal(np.asarray(answer["predictions"]), expected)


def test_health_and_metadata_describe_the_served_release(built, client):
    folder, task = built
    assert client.get("/health").json() == {"status": "ok", "model": "model", "version": "v9.9.9"}
    metadata = client.get("/metadata").json()
    assert (metadata["version"], metadata["stage"], metadata["commit"], metadata["task"]) == (
        "v9.9.9",
        "prod",
        "0123abc",
        task,
    )
    assert metadata["columns"] == {"user": "text", "song": "text", "source_type": "text"}
    assert metadata["metric"]["value"] == read_json(folder / "metrics.json")[metadata["metric"]["name"]]
    assert metadata["training_rows"] == read_json(folder / "reports/data_profile.json")["rows"]["train"]


def test_unseen_ids_and_categories_are_scored_as_training_treats_them(built):
    # given a row whose user, song and source type training never saw
    folder, _ = built
    scorer = Scorer(load_bundle(folder / "models/bundle"))
    row = pd.DataFrame({"user": ["u999"], "song": ["s999"], "source_type": ["podcast"]}, dtype=object)
    row.attrs["source"] = "request"
    # when it is scored
    scored = scorer.score(row)
    # then the count feature is 0, the category a missing one, the lookups' columns missing: an answer
    assert scored.encoded["user_count"].tolist() == [0.0]
    assert scored.encoded["source_type"].tolist() == [-1]
    assert scored.rows["age"].isna().all()
    assert scored.coverage == {"data/raw/members.csv": 0.0, "data/raw/songs.csv": 0.0}
    assert np.isfinite(np.asarray(scored.outputs, dtype=np.float64)).all()


BAD_REQUESTS = {  # id: (body, status, what the answer says)
    "not-a-list": ({"user": "u1"}, 422, "the body must be a JSON list of rows"),
    "no-rows": ([], 422, "the request holds no rows"),
    "missing-column": ([{"user": "u1", "song": "s1"}], 422, "rows[0].source_type is missing"),
    "wrong-type": ([{"user": "u1", "song": ["s1"], "source_type": "radio"}], 422, "rows[0].song: expected text"),
    "infinite": (
        [{"user": "u1", "song": float("inf"), "source_type": "radio"}],
        422,
        "rows[0].song: inf is not a value",
    ),
}


@pytest.mark.parametrize(("body", "status", "message"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_bad_request_gets_a_4xx_naming_the_field(client, body, status, message):
    response = client.post("/predict", content=json.dumps(body))
    assert response.status_code == status and message in response.json()["detail"], response.text


def test_a_body_or_row_count_beyond_the_limits_is_refused_naming_the_setting(built):
    folder, _ = built
    app = create_app(release_of(folder), DEFAULT_SERVE | {"max_rows": 2, "max_body_mb": 0.001, "log": ""})
    row = {"user": "u1", "song": "s1", "source_type": "radio"}
    with TestClient(app) as small:
        too_many = small.post("/predict", json=[row] * 3)
        too_big = small.post("/predict", json=[row | {"padding": "x" * 2000}])
        assert small.post("/predict", json=[row] * 2).status_code == 200
    assert too_many.status_code == 413 and "serve.max_rows" in too_many.json()["detail"]
    assert too_big.status_code == 413 and "serve.max_body_mb" in too_big.json()["detail"]


def test_a_csv_body_is_read_as_preprocess_reads_csv(built, client):
    folder, _ = built
    raw = pd.read_parquet(folder / "data/raw_test_rows.parquet").head(5)
    as_csv = client.post("/predict", content=raw.to_csv(index=False), headers={"Content-Type": "text/csv"})
    as_json = client.post("/predict", json=records(raw))
    assert as_csv.status_code == 200 and as_csv.json() == as_json.json()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)
ROWS = st.fixed_dictionaries(
    {},
    optional={
        column: JSON_VALUES | st.sampled_from(["u1", "s3", "radio", "library"])
        for column in ("user", "song", "source_type")
    },
) | st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3)
BODIES = (
    st.lists(ROWS, max_size=4).map(lambda rows: json.dumps(rows).encode())
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | st.binary(max_size=40)
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_any_body_gets_an_answer_or_a_4xx_naming_the_problem_and_the_server_stays_healthy(client, body):
    response = client.post("/predict", content=body)
    if response.status_code != 200:
        assert 400 <= response.status_code < 500, (body, response.text)
        detail = response.json()["detail"]
        assert any(word in detail for word in ("rows[", "body", "request")), detail
    assert client.get("/health").status_code == 200


# Rows with every column and a value each column takes: text, a whole number or null (missing)
GOOD_VALUES = st.none() | st.integers(-(2**40), 2**40) | st.text(max_size=8) | st.sampled_from(["u1", "s3", "radio"])
GOOD_ROWS = st.fixed_dictionaries({column: GOOD_VALUES for column in ("user", "song", "source_type")})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(GOOD_ROWS, min_size=1, max_size=4))
def test_rows_of_good_values_are_always_answered_even_all_missing_or_unseen(client, rows):
    response = client.post("/predict", json=rows)
    assert response.status_code == 200, (rows, response.text)
    assert len(response.json()["predictions"]) == len(rows)


def test_answered_requests_are_logged_with_the_version(built, client):
    folder, _ = built
    client.post("/predict", json=[{"user": "u1", "song": "s1", "source_type": "radio", "target": 1}])
    last = json.loads((folder / "logs/requests.jsonl").read_text().splitlines()[-1])
    assert last["version"] == "v9.9.9" and last["rows"] == [{"user": "u1", "song": "s1", "source_type": "radio"}]
    assert len(last["predictions"]) == 1


def test_make_predict_scores_a_file_in_blocks_as_one_call_would(built, tmp_path):
    # given the main table as a CSV file and as Parquet (the target column too: it is ignored)
    folder, _ = built
    scorer = Scorer(load_bundle(folder / "models/bundle"))
    main = pd.read_csv(folder / "data/raw/interactions.csv")
    main.to_parquet(tmp_path / "rows.parquet")
    whole = main.drop(columns=["target"]).astype(object)
    whole.attrs["source"] = "whole"
    expected = np.asarray(scorer.score(whole).outputs, dtype=np.float64).reshape(len(main), -1)
    # when make predict scores them in blocks of about 2 kB (a few dozen rows each)
    rows = predict_file(scorer, folder / "data/raw/interactions.csv", tmp_path / "out.csv", block_mb=0.002)
    predict_file(scorer, tmp_path / "rows.parquet", tmp_path / "out.parquet", block_mb=0.002)
    # then every row is scored, in order, as one call scores them
    assert rows == len(main)
    for written in (pd.read_csv(tmp_path / "out.csv"), pd.read_parquet(tmp_path / "out.parquet")):
        scores = written.filter(like="probability_") if "probability_0" in written else written[["prediction"]]
        np.testing.assert_allclose(scores.to_numpy(dtype=np.float64), expected, rtol=1e-6)


def test_make_predict_refuses_a_file_without_a_column_naming_both_and_writes_nothing(built, tmp_path):
    folder, _ = built
    scorer = Scorer(load_bundle(folder / "models/bundle"))
    pd.read_csv(folder / "data/raw/interactions.csv").drop(columns=["song"]).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(PipelineError, match=r"rows\.csv: column 'song' is missing"):
        predict_file(scorer, tmp_path / "rows.csv", tmp_path / "out.csv", block_mb=1)
    assert not (tmp_path / "out.csv").exists()


def logged(scorer: Scorer, rows: pd.DataFrame, path: Path) -> Path:
    """A request log holding `rows` as requests of 50 rows, answered by the scorer as a server would."""
    log = RequestLog(str(path), 1 << 30)
    for start in range(0, len(rows), 50):
        part = rows.iloc[start : start + 50]
        part.attrs["source"] = "request"
        log.append("v9.9.9", records(part), scorer.answer(scorer.score(part).outputs))
    return path


def test_monitoring_flags_exactly_the_shifted_feature_and_nothing_when_unshifted(built, tmp_path):
    # given two logs of the main table's rows: as they were, and with every source type now "radio"
    folder, _ = built
    scorer = Scorer(load_bundle(folder / "models/bundle"))
    rows = pd.read_csv(folder / "data/raw/interactions.csv").drop(columns=["target"]).astype(object)
    same = logged(scorer, rows, tmp_path / "same.jsonl")
    shifted = logged(scorer, rows.assign(source_type="radio"), tmp_path / "shifted.jsonl")
    release = release_of(folder)
    # when make monitor reads each
    unshifted_summary = monitor(same, release, scorer, monitor_settings({"monitor": {"report": str(tmp_path / "a")}}))
    settings_b = monitor_settings({"monitor": {"report": str(tmp_path / "b"), "fail_on_drift": True}})
    shifted_summary = monitor(shifted, release, scorer, settings_b)
    # then the shifted log flags source_type alone, the unshifted one nothing, and only the first fails
    assert unshifted_summary["rows"] == shifted_summary["rows"] == len(rows)
    assert unshifted_summary["drifted"] == []
    assert shifted_summary["drifted"] == ["source_type"]
    assert outcome(shifted_summary, fail_on_drift=True)[1] and not outcome(unshifted_summary, fail_on_drift=True)[1]
    report = (tmp_path / "b" / "report.md").read_text()
    assert "**Drifted features** (PSI > 0.2): source_type." in report
    assert (tmp_path / "b" / "psi.png").read_bytes()[:4] == b"\x89PNG"
    assert shifted_summary["unseen"]["user"] == 0.0  # every user was in the training data's counts


def test_a_date_and_a_name_xgboost_refuses_are_served_as_they_were_trained(tmp_path):
    # given a main table with a date-time column, a lookup column named age[years] (xgboost takes
    # no [ in a feature name) and columns typed by auto
    main, [(members, member_key), songs] = make_tables()
    minutes = np.random.default_rng(2).integers(0, 365 * 24 * 60, len(main))
    main["played"] = pd.Timestamp("2017-01-01") + pd.to_timedelta(minutes, unit="min")
    members = with_source(members.rename(columns={"age": "age[years]"}), "members.csv")
    auto = {"numeric_columns": "auto", "categorical_columns": "auto"}
    folder = write_tiny_project(
        tmp_path / "project", (main, [(members, member_key), songs]), data=auto, preprocess={"raw_test_rows": 1000}
    )
    # when the pipeline runs up to the bundle (whose skew check scores the raw test rows as a request
    # would), and a server of the bundle is asked about those rows, as JSON, and make monitor reads its log
    with working_directory(folder):
        for stage in (preprocess, train, evaluate, bundle):
            stage.main()
    schema = read_json(folder / "data/processed/schema.json")
    raw = pd.read_parquet(folder / "data/raw_test_rows.parquet")
    _, expected = LocalEngine().predict(
        load_model(folder / "models/model.joblib"), folder / "data/processed/test.parquet", schema
    )
    log = tmp_path / "requests.jsonl"
    with TestClient(create_app(release_of(folder), DEFAULT_SERVE | {"log": str(log)})) as client:
        metadata = client.get("/metadata").json()
        answer = client.post("/predict", json=records(raw))
        bad = client.post("/predict", json=[records(raw)[0] | {"played": "yesterday"}])
    scorer = Scorer(load_bundle(folder / "models/bundle"))
    summary = monitor(log, release_of(folder), scorer, monitor_settings({"monitor": {"report": str(tmp_path / "m")}}))
    # then training split the date into numeric parts and renamed the column, and serving did the same:
    # every raw test row answered exactly as evaluate scored it, and monitoring compares the parts
    assert schema["dates"] == {"played": "datetime"} and schema["renamed"] == {"age[years]": "age(years)"}
    assert {"played_year", "played_month", "played_hour", "age(years)"} <= set(schema["features"])
    assert metadata["columns"] == {"user": "text", "song": "text", "source_type": "text", "played": "date"}
    assert answer.status_code == 200, answer.text
    assert len(raw) == len(expected)
    np.testing.assert_array_equal(np.asarray(answer.json()["probabilities"]), np.asarray(expected, dtype=np.float64))
    assert bad.status_code == 422
    assert "column 'played'" in bad.json()["detail"] and "'yesterday'" in bad.json()["detail"]
    assert {"played_hour", "age(years)"} <= set(summary["feature_psi"]) and summary["rows"] == len(raw)
