"""The pipeline package of {{ cookiecutter.project_slug }}: one module per stage; see README.md."""
