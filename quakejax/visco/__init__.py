"""Viscoelastic relaxation: rheologies and strain-volume models of the earthquake cycle.

- Rheologies (`base.AbstractRheology` and one file each): `Elastic`, `Maxwell`, `KelvinVoigt`,
  `Burgers`, `StandardLinearSolid`, with their ODE right-hand sides, relaxation and creep
  functions and Laplace moduli, in the engineering-shear-strain convention.
- Antiplane models of an infinitely long strike-slip fault in an elastic layer over a
  viscoelastic half-space (strain volumes, integrated with diffrax): `PostseismicModel`,
  `CycleModel`, on an `AntiplaneMesh`.
- `cycle_surface_velocity`: one signature for the interseismic velocity, through the solver
  (`CycleModel`) or its neural emulator (`emulator.CycleEmulator`, pretrained weights).
- 3D relaxation around a finite rupture (`Postseismic3D` on a `CuboidMesh` of strain
  volumes below an elastic layer; kernels: `cuboid_unit_fields`, `interaction_matrix`,
  `eigenstrain_fields`) and the closed differentiable graph from a rupture to aftershock
  likelihood (`ViscoGrid`, `relaxed_stress`, `aftershock_log_likelihood`); its emulator,
  exact at t = 0 (`RelaxationEmulator3D.pretrained()`, `EmulatorGrid`).
- `reference`: independent analytic and semi-analytic solutions (Nur & Mavko 1974, Savage &
  Prescott 1978, Rybicki 1971, correspondence-principle Burgers series) for validation.
"""

from . import emulator as emulator
from . import reference as reference
from ._antiplane import CycleModel as CycleModel
from ._antiplane import PostseismicModel as PostseismicModel
from ._burgers import Burgers as Burgers
from ._cuboid import CHANNELS as CHANNELS
from ._cuboid import DEVIATORIC_BASIS as DEVIATORIC_BASIS
from ._cuboid import cuboid_unit_fields as cuboid_unit_fields
from ._cycle import cycle_surface_velocity as cycle_surface_velocity
from ._elastic import Elastic as Elastic
from ._emulator import CycleEmulator as CycleEmulator
from ._emulator3d import OutsideDomain3DWarning as OutsideDomain3DWarning
from ._emulator3d import RelaxationEmulator3D as RelaxationEmulator3D
from ._graph import EmulatorGrid as EmulatorGrid
from ._graph import ViscoGrid as ViscoGrid
from ._graph import aftershock_log_likelihood as aftershock_log_likelihood
from ._graph import relaxed_stress as relaxed_stress
from ._kelvin_voigt import KelvinVoigt as KelvinVoigt
from ._kernels import antisymmetric_strain_volume as antisymmetric_strain_volume
from ._kernels import screw_dislocation as screw_dislocation
from ._kernels import strain_volume as strain_volume
from ._maxwell import Maxwell as Maxwell
from ._mesh import AntiplaneMesh as AntiplaneMesh
from ._relax3d import CuboidMesh as CuboidMesh
from ._relax3d import Postseismic3D as Postseismic3D
from ._relax3d import Relaxation as Relaxation
from ._relax3d import eigenstrain_fields as eigenstrain_fields
from ._relax3d import from_basis as from_basis
from ._relax3d import interaction_matrix as interaction_matrix
from ._relax3d import to_basis as to_basis
from ._sls import StandardLinearSolid as StandardLinearSolid
from .base import AbstractRheology as AbstractRheology
