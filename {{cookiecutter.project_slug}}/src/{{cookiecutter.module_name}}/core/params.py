"""params.yaml: every tunable of the pipeline, read strictly (a key given twice is an error) and
checked against its schema (core/params_schema.py) before any stage does any work."""

import difflib
from collections.abc import Iterator
from pathlib import Path

import yaml

from .errors import PipelineError
from .params_schema import SCHEMA, Records, Rule, Section
from .paths import PARAMS_FILE


def load_params(path: Path = PARAMS_FILE, required: tuple[str, ...] = ()) -> dict:
    """params.yaml, if every setting in it follows the schema and the `required` sections are there;
    otherwise a PipelineError with one line per problem, naming the key and what it may be."""
    try:
        with open(path, encoding="utf-8") as file:
            params = yaml.load(file, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing: run from the project's folder") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path} is not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path} holds no settings: restore it from git (git checkout {path})")
    problems = [f"{path}{problem}" for problem in params_problems(params, required)]
    if problems:
        raise PipelineError("\n".join(problems))
    return params


def params_problems(params: dict, required: tuple[str, ...] = ()) -> Iterator[str]:
    """One message per setting that breaks the schema (each starts with what follows "params.yaml")."""
    for name in required:
        section = SCHEMA.keys[name]
        if params.get(name) is None:
            yield f" has no `{name}:` section: add it with its settings ({', '.join(section.keys)})"
    yield from _problems(SCHEMA, params, "")


def _problems(rule: Rule | Section | Records, value, key: str) -> Iterator[str]:
    if value is None and rule.optional:
        return
    if isinstance(rule, Rule):
        if not rule.valid(value):
            yield f": {key} is {_shown(value)}; it must be {rule.wanted}"
    elif isinstance(rule, Records):
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            yield f": {key} is {_shown(value)}; it must be {rule.wanted}"
            return
        for index, item in enumerate(value):
            yield from _problems(Section(rule.keys), item, f"{key}[{index}]")
    elif not isinstance(value, dict):
        yield f": {key} is {_shown(value)}; it must be {rule.wanted}"
    else:
        yield from _section_problems(rule, value, key)


def _section_problems(section: Section, values: dict, key: str) -> Iterator[str]:
    prefix = f"{key}." if key else ""
    for name, rule in section.keys.items():
        if name in values:
            yield from _problems(rule, values[name], prefix + name)
        elif not rule.optional and key:  # a missing top-level section matters only to who reads it
            yield f": {prefix}{name} is missing; it must be {rule.wanted}"
    for name in values:
        if name in section.keys:
            continue
        if section.others is not None:
            yield from _problems(section.others, values[name], f"{prefix}{name}")
            continue
        close = difflib.get_close_matches(str(name), list(section.keys), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        yield (f": {prefix}{name} is not one of the {section.items} of {key}{hint}: they are {', '.join(section.keys)}")


def _shown(value) -> str:
    shown = repr(value)
    kind = "text " if isinstance(value, str) else ""
    return kind + (shown if len(shown) <= 60 else shown[:57] + "...")


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if keys.count(key) > 1:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)
