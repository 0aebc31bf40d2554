"""Readers for real data: slip models, catalogs, GPS offsets; local map frames.

Readers pick the format from the file and return typed objects: `FaultModel` (with its
`EventInfo`), `Catalog` and `GPSData`.  Malformed input raises `ValueError` naming the file
and line.
"""

from .._fault import EventInfo as EventInfo
from ._catalog import Catalog as Catalog
from ._catalog import MainshockMatch as MainshockMatch
from ._catalog import read_catalog as read_catalog
from ._geo import LocalFrame as LocalFrame
from ._gps import GPSData as GPSData
from ._gps import read_gps as read_gps
from ._slip import SlipModelError as SlipModelError
from ._slip import detect_slip_format as detect_slip_format
from ._slip import read_flt as read_flt
from ._slip import read_fsp as read_fsp
from ._slip import read_hamling as read_hamling
from ._slip import read_slip_model as read_slip_model
from ._slip import read_srcmod_mat as read_srcmod_mat
from ._slip import read_usgs_param as read_usgs_param
