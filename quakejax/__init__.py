"""quakejax: differentiable earthquake physics in JAX."""

from importlib.metadata import PackageNotFoundError, version

from . import okada as okada
from . import stress as stress
from ._fault import EventInfo as EventInfo
from ._fault import FaultModel as FaultModel
from ._fault import RectangularPatch as RectangularPatch

try:
    __version__ = version("quakejax")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
