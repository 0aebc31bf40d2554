"""Okada (1985, 1992) dislocation kernels in an elastic half-space, in JAX.

`dc3d` (rectangular fault) and `dc3d0` (point source) follow DC3D's frame, conventions and
singular-point rules exactly; see their docstrings.  The geophysical layer (`FaultModel`,
many patches at many points in a local east-north-up frame) is `displacement_gradient`,
`displacement`, `strain`, `stress` and the Green's functions below.
"""

from ._common import (
    STATUS_ABOVE_SURFACE as STATUS_ABOVE_SURFACE,
)
from ._common import (
    STATUS_OK as STATUS_OK,
)
from ._common import (
    STATUS_SINGULAR as STATUS_SINGULAR,
)
from ._dc3d import dc3d as dc3d
from ._dc3d0 import dc3d0 as dc3d0
from ._fields import (
    alpha_from as alpha_from,
)
from ._fields import (
    displacement as displacement,
)
from ._fields import (
    displacement_gradient as displacement_gradient,
)
from ._fields import (
    displacement_greens as displacement_greens,
)
from ._fields import (
    greens_functions as greens_functions,
)
from ._fields import (
    strain as strain,
)
from ._fields import (
    stress as stress,
)
from ._fields import (
    stress_greens as stress_greens,
)
