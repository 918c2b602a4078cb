"""The report put together, section by section (one module each), into cml-report/report.md.

python -m {{ cookiecutter.module_name }}.report --base main --out cml-report [--images-at URL]
"""

import argparse
from pathlib import Path

from ..core.drift import drift_params
from ..core.params import load_params
from ..core.paths import FEATURE_DISTRIBUTIONS_FILE
from .curves import curves_section
from .data import data_section
from .drift import drift_section
from .environment import dag_section, where_section
from .markdown import images
from .plots import plots_section
from .results import gate_section, metrics_section, params_section, sanity_section
from .revisions import base_json, current_branch, local_json, resolve_base, same_commit, short_sha, workspace_changed


def build_report(base: str, out: Path, images_at: str | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    base_rev = resolve_base(base)
    # A branch reads better by name; a commit by its short hash.
    base_label = short_sha(base_rev) if base_rev and base_rev.startswith(short_sha(base_rev)) else (base_rev or base)
    head = f"`{current_branch()}` ({short_sha('HEAD')})"
    if base_rev and same_commit(base_rev, "HEAD"):  # e.g. run locally on main: the workspace is what differs
        state = "with uncommitted changes" if workspace_changed() else "no uncommitted changes"
        intro = (
            f"Comparing the workspace of `{current_branch()}` ({state}) "
            f"with its last commit, `{base_rev}` ({short_sha(base_rev)})."
        )
    elif base_rev:
        intro = f"Comparing {head} with `{base_rev}` ({short_sha(base_rev)})."
    else:
        intro = (
            f"Comparing {head} with nothing: the base branch `{base}` was not found "
            "(in a shallow clone, run `make fetch-base` first). Only this branch's results are shown."
        )
    params = load_params()
    sections = [
        [f"# Model report: {params['train']['model']}", "", intro],
        gate_section(base_rev, base_label),
        metrics_section(base_rev),
        params_section(base_rev, base_label),
        data_section(base_rev, base_label),
        drift_section(
            local_json(FEATURE_DISTRIBUTIONS_FILE),
            base_json(base_rev, FEATURE_DISTRIBUTIONS_FILE),
            base_label,
            drift_params(params),
        ),
        sanity_section(),
        plots_section(out, base_rev, base_label, images_at),
        curves_section(out, base_rev, base_label, lambda drawn: images(drawn, images_at)),
        dag_section(),
        where_section(),
    ]
    report = out / "report.md"
    report.write_text("\n\n".join("\n".join(section) for section in sections) + "\n")
    print(f"report: {report} (this branch against {base_label})")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the model report: this branch against the base branch.")
    parser.add_argument("--base", default="main", help="branch (or revision) to compare with [main]")
    parser.add_argument("--out", type=Path, default=Path("cml-report"), help="folder for report.md and images")
    parser.add_argument(
        "--images-at",
        metavar="URL",
        help="link to where the images are (e.g. the CI run's artifacts) instead of showing them",
    )
    arguments = parser.parse_args()
    build_report(arguments.base, arguments.out, arguments.images_at)
