"""Viscoelastic relaxation: rheologies and strain-volume models of the earthquake cycle.

- Rheologies (`base.AbstractRheology` and one file each): `Elastic`, `Maxwell`, `KelvinVoigt`,
  `Burgers`, `StandardLinearSolid`, with their ODE right-hand sides, relaxation and creep
  functions and Laplace moduli, in the engineering-shear-strain convention.
- Antiplane models of an infinitely long strike-slip fault in an elastic layer over a
  viscoelastic half-space (strain volumes, integrated with diffrax): `PostseismicModel`,
  `CycleModel`, on an `AntiplaneMesh`.
- `cycle_surface_velocity`: one signature for the interseismic velocity, through the solver
  (`CycleModel`) or its neural emulator (`emulator.CycleEmulator`, pretrained weights).
- `reference`: independent analytic and semi-analytic solutions (Nur & Mavko 1974, Savage &
  Prescott 1978, Rybicki 1971, correspondence-principle Burgers series) for validation.
"""

from . import emulator as emulator
from . import reference as reference
from ._antiplane import CycleModel as CycleModel
from ._antiplane import PostseismicModel as PostseismicModel
from ._burgers import Burgers as Burgers
from ._cycle import cycle_surface_velocity as cycle_surface_velocity
from ._elastic import Elastic as Elastic
from ._emulator import CycleEmulator as CycleEmulator
from ._kelvin_voigt import KelvinVoigt as KelvinVoigt
from ._kernels import antisymmetric_strain_volume as antisymmetric_strain_volume
from ._kernels import screw_dislocation as screw_dislocation
from ._kernels import strain_volume as strain_volume
from ._maxwell import Maxwell as Maxwell
from ._mesh import AntiplaneMesh as AntiplaneMesh
from ._sls import StandardLinearSolid as StandardLinearSolid
from .base import AbstractRheology as AbstractRheology
