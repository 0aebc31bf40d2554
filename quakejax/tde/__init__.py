"""Triangular dislocations in an elastic half-space (Nikkhoo & Walter 2015), in JAX.

`tde_displacement` and `tde_strain` are the single-pair kernels (one point, one triangle),
with the frame, units and sign conventions of cutde and of Nikkhoo & Walter's MATLAB code;
the `*_many` functions sum over triangles at many points and `tde_displacement_greens`
gives the design matrix of responses to unit slips.
"""

from ._fields import DEFAULT_PAIRS_PER_BLOCK as DEFAULT_PAIRS_PER_BLOCK
from ._fields import tde_displacement_greens as tde_displacement_greens
from ._fields import tde_displacement_many as tde_displacement_many
from ._fields import tde_strain_many as tde_strain_many
from ._kernel import tde_displacement as tde_displacement
from ._kernel import tde_strain as tde_strain
