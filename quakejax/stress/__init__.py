"""Strain, stress and failure metrics from displacement gradients."""

from ._tensor import (
    lame_lambda as lame_lambda,
    strain_from_gradient as strain_from_gradient,
    stress_from_gradient as stress_from_gradient,
    stress_from_strain as stress_from_strain,
)
from ._metrics import (
    deviatoric as deviatoric,
    invariants as invariants,
    max_shear as max_shear,
    mean_stress as mean_stress,
    principal_stresses as principal_stresses,
    von_mises as von_mises,
)
