"""Aftershock locations: the DeVries et al. (2018) cell grid, stress features and labels."""

from ._dataset import EventSummary as EventSummary
from ._dataset import LabelSpec as LabelSpec
from ._dataset import build_event_table as build_event_table
from ._dataset import choose_catalog as choose_catalog
from ._dataset import match_mainshock as match_mainshock
from ._features import cell_features as cell_features
from ._features import cell_stress as cell_stress
from ._features import stress_features as stress_features
from ._grid import CellGrid as CellGrid
from ._grid import GridSpec as GridSpec
from ._grid import build_grid as build_grid
from ._network import DeVriesNet as DeVriesNet
from ._network import TrainConfig as TrainConfig
from ._network import devries_features as devries_features
from ._network import train as train
from ._scores import average_precision as average_precision
from ._scores import roc_auc as roc_auc
from ._scores import roc_curve as roc_curve
from ._table import REQUIRED_COLUMNS as REQUIRED_COLUMNS
from ._table import grid_table as grid_table
from ._table import read_grid_table as read_grid_table
from ._table import write_grid_table as write_grid_table
