"""Strain, stress, tractions and failure metrics from displacement gradients.

Stress in Pa, tension positive, in the frame of the input (ENU for the field functions).
"""

from ._coulomb import coulomb_stress_change as coulomb_stress_change
from ._coulomb import max_coulomb_stress as max_coulomb_stress
from ._coulomb import mean_receiver as mean_receiver
from ._coulomb import normal_and_shear as normal_and_shear
from ._coulomb import optimal_coulomb_stress_change as optimal_coulomb_stress_change
from ._coulomb import receiver_vectors as receiver_vectors
from ._coulomb import traction as traction
from ._metrics import deviatoric as deviatoric
from ._metrics import invariants as invariants
from ._metrics import lode_angle as lode_angle
from ._metrics import max_shear as max_shear
from ._metrics import mean_stress as mean_stress
from ._metrics import principal_stresses as principal_stresses
from ._metrics import sum_abs_components as sum_abs_components
from ._metrics import tensor_invariants as tensor_invariants
from ._metrics import von_mises as von_mises
from ._tensor import lame_lambda as lame_lambda
from ._tensor import strain_from_gradient as strain_from_gradient
from ._tensor import stress_from_gradient as stress_from_gradient
from ._tensor import stress_from_strain as stress_from_strain
