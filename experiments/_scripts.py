"""Load another experiment script as a module (the folder is not a package)."""

import importlib.util
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def load(name: str):
    """The module of `experiments/<name>.py`."""
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
