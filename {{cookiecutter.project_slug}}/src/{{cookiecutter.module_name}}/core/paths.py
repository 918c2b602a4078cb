"""Where the pipeline reads and writes, relative to the project's folder (the stages run there)."""

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
BASELINE_FILE = Path("baseline.txt")
DVC_YAML = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")
PROCESSED_DIR = Path("data/processed")
TRAIN_FILE = PROCESSED_DIR / "train.parquet"
TEST_FILE = PROCESSED_DIR / "test.parquet"
SCHEMA_FILE = PROCESSED_DIR / "schema.json"
COUNTS_FILE = PROCESSED_DIR / "counts.parquet"  # features.py: count features, for scoring new rows
RAW_TEST_ROWS_FILE = Path("data/raw_test_rows.parquet")  # the test split's first rows as read (stages/bundle.py)
MODEL_FILE = Path("models/model.joblib")
BUNDLE_DIR = Path("models/bundle")  # scoring/bundle.py: the model with what serving it needs, the released artifact
METRICS_FILE = Path("metrics.json")
REPORTS_DIR = Path("reports")
DATA_PROFILE_FILE = REPORTS_DIR / "data_profile.json"
FEATURE_DISTRIBUTIONS_FILE = REPORTS_DIR / "feature_distributions.json"  # core/drift.py
PREDICTION_DISTRIBUTION_FILE = REPORTS_DIR / "prediction_distribution.json"  # evaluate: the test split's scores
TRAIN_INFO_FILE = REPORTS_DIR / "train_info.json"
TRAINING_CURVES_DIR = REPORTS_DIR / "training"  # evaluation/training_curves.py (dvclive)
SANITY_FILE = REPORTS_DIR / "sanity.json"
CLASSIFICATION_REPORT_FILE = REPORTS_DIR / "classification_report.txt"
CONFUSION_MATRIX_FILE = REPORTS_DIR / "confusion_matrix.png"
PLOTS_DIR = REPORTS_DIR / "plots"
ROC_FILE = PLOTS_DIR / "roc.csv"
PRECISION_RECALL_FILE = PLOTS_DIR / "precision_recall.csv"
FEATURE_IMPORTANCE_FILE = PLOTS_DIR / "feature_importance.csv"
PREDICTED_VS_ACTUAL_FILE = PLOTS_DIR / "predicted_vs_actual.csv"  # regression only
RESIDUALS_FILE = PLOTS_DIR / "residuals.csv"  # regression only
REGRESSION_PLOT_FILE = PLOTS_DIR / "regression.png"  # regression only
