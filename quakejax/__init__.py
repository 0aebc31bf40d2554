"""quakejax: differentiable earthquake physics in JAX."""

from importlib.metadata import PackageNotFoundError, version

from . import okada as okada, stress as stress
from ._fault import FaultModel as FaultModel, RectangularPatch as RectangularPatch

try:
    __version__ = version("quakejax")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
