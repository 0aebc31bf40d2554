"""Inverse problems: fault slip from GPS offsets (and, in `aftershocks`, from aftershocks).

`invert_slip` estimates slip on a fixed fault geometry from coseismic GPS offsets, with a
Laplacian smoothing chosen by ABIC or GCV, rake and positivity bounds, and an exact or a
gradient-based solver.
"""

from ._compare import resample_slip as resample_slip
from ._compare import slip_correlation as slip_correlation
from ._direct import solve_box_qp as solve_box_qp
from ._gps import SlipInversion as SlipInversion
from ._gps import invert_slip as invert_slip
from ._gps import slip_basis as slip_basis
from ._gradient import solve_box_qp_gradient as solve_box_qp_gradient
from ._laplacian import PatchAdjacency as PatchAdjacency
from ._laplacian import laplacian as laplacian
from ._laplacian import patch_adjacency as patch_adjacency
from ._smoothing import LCurve as LCurve
