"""Jinja extensions of this template: answers are data, and reach each file as a valid literal.

cookiecutter loads this module by name (`_extensions` in cookiecutter.json) from the
template's own folder, in the environment that runs cookiecutter, so it needs nothing
beyond cookiecutter itself (which brings Jinja).

- `AnswersAreData`: cookiecutter renders every answer given on the command line or in a
  user config (`description="{{ 7*7 }}"`) as a Jinja template. Here an answer is taken
  literally unless it is one of the template's own derived defaults (cookiecutter.json).
- Filters that turn an answer into a literal of the destination format, so that no answer
  can change the structure of the file it lands in:
  `quoted` (a double-quoted string, valid in TOML, YAML and JSON), `ini_value` (a DVC
  config value: configobj's quoting) and `project_directory` (the project's folder name,
  given only once the pre-generation hook's checks pass, so a refusal leaves nothing on disk).
"""

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import FrameType

from cookiecutter.exceptions import FailedHookException
from jinja2 import pass_context
from jinja2.ext import Extension

TEMPLATE_DIR = Path(__file__).resolve().parent
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"

# Characters that end a line or are invisible in a YAML, TOML or JSON double-quoted string:
# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the byte-order mark
# and lone surrogates. `quoted` writes each as an escape sequence.
_ESCAPED = {0x7F, 0x2028, 0x2029, 0xFEFF, *range(0x20), *range(0x80, 0xA0), *range(0xD800, 0xE000)}


def quoted(value: str) -> str:
    """`value` as a double-quoted string literal that TOML, YAML and JSON all read back verbatim."""
    parts = []
    for char in str(value):
        if char in '"\\':
            parts.append("\\" + char)
        elif ord(char) in _ESCAPED:
            parts.append(f"\\u{ord(char):04X}")
        else:
            parts.append(char)
    return '"' + "".join(parts) + '"'


def ini_value(value: str) -> str:
    """`value` as a value in .dvc/config, which DVC reads with configobj.

    configobj has no escape sequences: a quoted value keeps `#`, `;`, `,` and spaces, and
    may hold either kind of quote but not both. Line breaks cannot be written at all; the
    pre-generation hook refuses such answers, so reaching this error means a template bug.
    """
    value = str(value)
    if any(ord(char) < 32 or ord(char) == 0x7F for char in value):
        raise FailedHookException(f"cannot write {value!r} into .dvc/config: it holds a control character")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    raise FailedHookException(f"cannot write {value!r} into .dvc/config: it holds both kinds of quote")


def _template_defaults() -> dict[str, str]:
    """The string defaults of cookiecutter.json, by name: the only answers that are Jinja templates."""
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    return {key: value for key, value in context.items() if isinstance(value, str) and not key.startswith("_")}


def _answer_being_rendered() -> tuple[bool, str | None]:
    """(whether cookiecutter is rendering an answer, which one) from the calling frames.

    cookiecutter renders answers in prompt.render_variable, called from prompt_for_config with
    the answer's name in `key`; it renders file contents, paths and hooks elsewhere.
    """
    frame: FrameType | None = sys._getframe(2)
    answering = False
    while frame is not None:
        code = frame.f_code
        if code.co_filename.endswith(os.path.join("cookiecutter", "prompt.py")):
            answering = answering or code.co_name == "render_variable"
            if code.co_name == "prompt_for_config":
                return answering, frame.f_locals.get("key")
        frame = frame.f_back
    return answering, None


class AnswersAreData(Extension):
    """Keep Jinja syntax in answers as typed, and check the answers before the project's folder exists."""

    def __init__(self, environment):
        super().__init__(environment)
        self.defaults = _template_defaults()
        self.literals: list[str] = []
        environment.globals["_literal_answers"] = self.literals
        environment.filters["quoted"] = quoted
        environment.filters["ini_value"] = ini_value
        environment.filters["project_directory"] = project_directory

    def preprocess(self, source, name, filename=None):
        if "{" not in source:
            return source
        answering, key = _answer_being_rendered()
        if not answering:  # a template file, a path or a hook: Jinja, as written in this template
            if name is None and source == PROJECT_FOLDER:  # cookiecutter is about to create the project folder
                return "{{ cookiecutter.project_slug | project_directory }}"
            return source
        if key is not None and source == self.defaults.get(key):  # a derived default such as project_slug
            return source
        self.literals.append(source)
        return "{{ _literal_answers[%d] }}" % (len(self.literals) - 1)


@pass_context
def project_directory(context, slug: str) -> str:
    """The project's folder name, once every answer passed the pre-generation hook's checks.

    cookiecutter creates this folder before its pre-generation hook runs: a slug with a slash
    would leave parent folders behind, an empty one would name the output folder itself, an
    over-long one would fail with an OS error, and a refusal by the hook itself comes with a
    traceback. Checking here, the answers are refused with one line each and nothing on disk.
    """
    found = list(_hook_checks().problems(context["cookiecutter"]))
    if found:
        lines = [f"ERROR: {message}" for message in found]
        raise FailedHookException("\n".join([*lines, "Nothing was generated. Run cookiecutter again with corrected answers."]))
    return slug


def _hook_checks():
    """hooks/pre_gen_project.py as a module (it is valid Python before rendering)."""
    spec = importlib.util.spec_from_file_location("pre_gen_project", TEMPLATE_DIR / "hooks" / "pre_gen_project.py")
    assert spec is not None and spec.loader is not None  # a .py file always has both
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
