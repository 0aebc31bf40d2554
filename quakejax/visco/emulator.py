"""Neural emulator of the antiplane Burgers earthquake-cycle model.

- `EmulatorDomain`: the box of dimensionless groups it is trained on and valid in.
- `generate_training_data` / `load_training_data`: chunked, resumable diffrax `CycleModel`
  solves at scrambled-Sobol parameter sets.
- `train_emulator`: optax training with a schedule, a validation split, early stopping and
  checkpoints.
- `CycleEmulator`: the emulator, with `CycleModel.surface_velocity`'s interface;
  `CycleEmulator.pretrained()` loads the shipped weights.

See `docs/visco-emulator.md`.
"""

from ._emulator import N_FEATURES as N_FEATURES
from ._emulator import CycleEmulator as CycleEmulator
from ._emulator import EmulatorNet as EmulatorNet
from ._emulator import OutsideDomainWarning as OutsideDomainWarning
from ._emulator import features as features
from ._emulator import scale_free as scale_free
from ._emulator_data import PARAMETERS as PARAMETERS
from ._emulator_data import EmulatorDomain as EmulatorDomain
from ._emulator_data import generate_layered_training_data as generate_layered_training_data
from ._emulator_data import generate_training_data as generate_training_data
from ._emulator_data import layer_solver as layer_solver
from ._emulator_data import load_training_data as load_training_data
from ._emulator_data import sobol_parameters as sobol_parameters
from ._emulator_training import train_emulator as train_emulator
