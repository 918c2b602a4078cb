"""`python -m {{ cookiecutter.module_name }}.report`: see build.py."""

from ..core.errors import run
from .build import main

run(main)
