"""Block models from GPS velocities (Meade & Loveless 2009), reading celeri's inputs.

A block model separates rigid rotation of crustal blocks on the sphere from the elastic
strain that locked faults add near their traces, and maps fault coupling.  This package
reads celeri's files (config JSON, station/segment/block/Mogi CSVs, mesh-parameters JSON and
Gmsh meshes), traces the blocks that the segments close, builds celeri's operators (Okada
rectangles for segments, Nikkhoo & Walter triangles for meshes) and solves the weighted
least-squares problem.

    from quakejax import blocks
    sol = blocks.solve("wna_config.json")            # dense, triangle slip rates
    print(sol.residual_stats())
    blocks.write_solution(sol, "out/")

Units: mm/yr for velocities and slip rates, mrad/yr for rotation vectors (degrees and
degrees/Myr for Euler poles), km for locking depths, degrees for positions and dips.
"""

from ._closure import Closure as Closure
from ._closure import ClosureError as ClosureError
from ._closure import close_blocks as close_blocks
from ._geometry import GeometryMisfit as GeometryMisfit
from ._io import BlockConfig as BlockConfig
from ._io import BlockFileError as BlockFileError
from ._io import MeshParameters as MeshParameters
from ._io import TriangleMesh as TriangleMesh
from ._io import read_blocks as read_blocks
from ._io import read_config as read_config
from ._io import read_mesh as read_mesh
from ._io import read_mesh_parameters as read_mesh_parameters
from ._io import read_mogi as read_mogi
from ._io import read_segments as read_segments
from ._io import read_stations as read_stations
from ._model import EARTH_RADIUS as EARTH_RADIUS
from ._model import BlockModel as BlockModel
from ._model import FaultMesh as FaultMesh
from ._model import build_model as build_model
from ._operators import block_motion_constraints as block_motion_constraints
from ._operators import block_strain_to_velocities as block_strain_to_velocities
from ._operators import boundary_constraints as boundary_constraints
from ._operators import eigenmodes as eigenmodes
from ._operators import mogi_to_velocities as mogi_to_velocities
from ._operators import okada_backslip_velocities as okada_backslip_velocities
from ._operators import okada_to_velocities as okada_to_velocities
from ._operators import rotation_to_slip_rate as rotation_to_slip_rate
from ._operators import rotation_to_tri_slip_rate as rotation_to_tri_slip_rate
from ._operators import rotation_to_velocities as rotation_to_velocities
from ._operators import segment_frames as segment_frames
from ._operators import slip_rate_constraints as slip_rate_constraints
from ._operators import smoothing_matrix as smoothing_matrix
from ._operators import tde_to_velocities as tde_to_velocities
from ._operators import triangle_frames as triangle_frames
from ._output import coupling as coupling
from ._output import plot_solution as plot_solution
from ._output import solution_tables as solution_tables
from ._output import write_solution as write_solution
from ._solve import BlockSolution as BlockSolution
from ._solve import BoundsReport as BoundsReport
from ._solve import LinearSystem as LinearSystem
from ._solve import Operators as Operators
from ._solve import assemble as assemble
from ._solve import build_operators as build_operators
from ._solve import default_cache_dir as default_cache_dir
from ._solve import enable_compilation_cache as enable_compilation_cache
from ._solve import solve as solve
from ._solve import solve_bounded as solve_bounded
from ._solve import solve_normal as solve_normal
