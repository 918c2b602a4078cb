"""params.yaml: every tunable of the pipeline, read strictly (a key given twice is an error)."""

from pathlib import Path

import yaml

from .errors import PipelineError
from .paths import PARAMS_FILE


def load_params(path: Path = PARAMS_FILE) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            params = yaml.load(file, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing: run from the project's folder") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path} is not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path} holds no settings: restore it from git (git checkout {path})")
    return params


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if keys.count(key) > 1:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)
