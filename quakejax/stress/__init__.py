"""Strain, stress and failure metrics from displacement gradients."""

from ._metrics import (
    deviatoric as deviatoric,
)
from ._metrics import (
    invariants as invariants,
)
from ._metrics import (
    max_shear as max_shear,
)
from ._metrics import (
    mean_stress as mean_stress,
)
from ._metrics import (
    principal_stresses as principal_stresses,
)
from ._metrics import (
    von_mises as von_mises,
)
from ._tensor import (
    lame_lambda as lame_lambda,
)
from ._tensor import (
    strain_from_gradient as strain_from_gradient,
)
from ._tensor import (
    stress_from_gradient as stress_from_gradient,
)
from ._tensor import (
    stress_from_strain as stress_from_strain,
)
