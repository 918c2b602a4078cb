"""A small regression table made by code: penguins-shaped, a numeric target, gaps, text categoricals.

Deterministic (a fixed seed), a few hundred rows, no lookups: what a newcomer's own table looks
like. Standard library only (the template's test environment has no numpy or pandas).
`use_in(project)` writes it into a baked project's data/raw and points params.yaml's data section
at it, the way a user would: by editing params.yaml only.
"""

import csv
import random
from pathlib import Path

import yaml

# species: (share, mean body mass in g, mean flipper length in mm, mean bill length in mm), as
# the Palmer penguins: bill length tells Chinstrap from Adelie, which mass and flippers barely do
SPECIES = {
    "Adelie": (0.44, 3700.0, 190.0, 38.8),
    "Chinstrap": (0.20, 3730.0, 196.0, 48.8),
    "Gentoo": (0.36, 5070.0, 217.0, 47.5),
}
COLUMNS = ["species", "island", "sex", "bill_length_mm", "flipper_length_mm", "body_mass_g"]


def penguins(rows: int = 340, seed: int = 7) -> list[dict]:
    """`rows` penguins; body mass depends on species, sex and flipper length, plus noise.

    About 4 % of sexes, 2 % of flipper lengths and 1.5 % of bill lengths are missing (empty cells).
    """
    rng = random.Random(seed)
    names = list(SPECIES)
    table = []
    for _ in range(rows):
        species = rng.choices(names, weights=[SPECIES[name][0] for name in names])[0]
        _, mass, flipper_mean, bill_mean = SPECIES[species]
        sex = rng.choices(["male", "female", ""], weights=[48, 48, 4])[0]
        flipper = flipper_mean + rng.gauss(0, 6)
        mass += {"male": 350.0, "female": -350.0, "": 0.0}[sex] + 25.0 * (flipper - flipper_mean) + rng.gauss(0, 200)
        table.append(
            {
                "species": species,
                "island": rng.choice(["Biscoe", "Dream", "Torgersen"]),
                "sex": sex,
                "bill_length_mm": "" if rng.random() < 0.015 else round(rng.gauss(bill_mean, 3), 1),
                "flipper_length_mm": "" if rng.random() < 0.02 else round(flipper),
                "body_mass_g": round(mass, -1),
            }
        )
    return table


def use_in(project: Path, gate_metric: str = "rmse", **data: object) -> None:
    """Replace the project's raw data with the penguins table and point params.yaml at it;
    `data` overrides entries of params.yaml's data section (e.g. target=...)."""
    raw = project / "data/raw"
    for old in raw.glob("*.csv"):
        old.unlink()
    with open(raw / "penguins.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(penguins())
    params_file = project / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["data"] |= {
        "main_table": "penguins.csv",
        "target": "body_mass_g",
        "lookups": [],
        "numeric_columns": ["bill_length_mm", "flipper_length_mm"],
        "categorical_columns": ["species", "island", "sex"],
        "count_columns": [],
        **data,
    }
    params["gate"]["metric"] = gate_metric
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
