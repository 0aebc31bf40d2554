"""Inverse problems: fault slip from GPS offsets, from aftershocks, or from both.

`invert_slip` estimates slip on a fixed fault geometry from coseismic GPS offsets, with a
Laplacian smoothing chosen by ABIC, GCV, blocked cross-validation or the L-curve, rake and
positivity bounds, and an exact or a gradient-based solver.

`aftershock_likelihood` makes the log-likelihood of an aftershock grid a differentiable
function of slip (Okada stress, then a trained `AftershockClassifier`);
`invert_aftershocks` maximises it, optionally jointly with GPS, and
`aftershock_sensitivity` says which patches drive the aftershock probability of a region.
"""

from ._aftershock import AftershockInversion as AftershockInversion
from ._aftershock import AftershockLikelihood as AftershockLikelihood
from ._aftershock import aftershock_likelihood as aftershock_likelihood
from ._aftershock import aftershock_sensitivity as aftershock_sensitivity
from ._aftershock import invert_aftershocks as invert_aftershocks
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
