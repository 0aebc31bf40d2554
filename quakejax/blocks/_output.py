"""Tables and figures of a solved block model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._solve import BlockSolution


def coupling(estimated, kinematic, *, floor: float = 1e-3):
    """Coupling = estimated elastic slip deficit rate / block-motion (kinematic) slip rate, per
    component; NaN where |kinematic| < `floor` mm/yr."""
    estimated, kinematic = np.asarray(estimated), np.asarray(kinematic)
    ok = np.abs(kinematic) >= floor
    return np.where(ok, estimated / np.where(ok, kinematic, 1.0), np.nan)


def solution_tables(sol: BlockSolution) -> dict[str, pd.DataFrame]:
    """`{"blocks", "segments", "stations", "mesh<i>"...}` tables (units in column names)."""
    m = sol.model
    lon, lat, rate = sol.euler
    rot = sol.rotation
    blocks = pd.DataFrame(
        {
            "name": m.block.name.to_numpy(),
            "euler_lon_deg": lon,
            "euler_lat_deg": lat,
            "rotation_rate_deg_per_myr": rate,
            "omega_x_mrad_per_yr": rot[:, 0],
            "omega_y_mrad_per_yr": rot[:, 1],
            "omega_z_mrad_per_yr": rot[:, 2],
        }
    )
    sg = m.segment
    sr = sol.slip_rate
    segments = pd.DataFrame(
        {
            "name": sg.name.to_numpy(),
            "lon1": sg.lon1.to_numpy(),
            "lat1": sg.lat1.to_numpy(),
            "lon2": sg.lon2.to_numpy(),
            "lat2": sg.lat2.to_numpy(),
            "dip_deg": sg.dip.to_numpy(),
            "locking_depth_km": sg.locking_depth.to_numpy(),
            "east_block": m.block.name.to_numpy()[sg.east_labels.to_numpy()],
            "west_block": m.block.name.to_numpy()[sg.west_labels.to_numpy()],
            "strike_slip_rate_mm_per_yr": sr[:, 0],
            "dip_slip_rate_mm_per_yr": sr[:, 1],
            "tensile_slip_rate_mm_per_yr": sr[:, 2],
        }
    )
    st = m.station
    pred, res = sol.predicted, sol.residual
    stations = pd.DataFrame(
        {
            "name": st.name.to_numpy(),
            "lon": st.lon.to_numpy(),
            "lat": st.lat.to_numpy(),
            "block": m.block.name.to_numpy()[np.maximum(st.block_label.to_numpy(), 0)],
            "east_vel": st.east_vel.to_numpy(),
            "north_vel": st.north_vel.to_numpy(),
            "model_east_vel": pred[:, 0],
            "model_north_vel": pred[:, 1],
            "model_up_vel": pred[:, 2],
            "east_residual": res[:, 0],
            "north_residual": res[:, 1],
        }
    )
    out = {"blocks": blocks, "segments": segments, "stations": stations}
    for i, (mesh, rates, kin) in enumerate(
        zip(m.meshes, sol.tde_slip_rate, sol.kinematic_tri_slip_rate, strict=True)
    ):
        if rates is None:
            continue
        c = mesh.corners.mean(axis=1)
        if kin is None:
            kin = np.full_like(rates, np.nan)
        out[f"mesh{i}"] = pd.DataFrame(
            {
                "lon": c[:, 0],
                "lat": c[:, 1],
                "depth_km": -c[:, 2],
                "strike_slip_rate_mm_per_yr": rates[:, 0],
                "dip_slip_rate_mm_per_yr": rates[:, 1],
                "kinematic_strike_slip_rate_mm_per_yr": kin[:, 0],
                "kinematic_dip_slip_rate_mm_per_yr": kin[:, 1],
                "coupling_strike_slip": coupling(rates[:, 0], kin[:, 0]),
                "coupling_dip_slip": coupling(rates[:, 1], kin[:, 1]),
            }
        )
    return out


def write_solution(sol: BlockSolution, folder) -> list[Path]:
    """Write every table of `solution_tables` as CSV into `folder`; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in solution_tables(sol).items():
        p = folder / f"{name}.csv"
        table.to_csv(p, index=False, float_format="%.6g")
        paths.append(p)
    return paths


def _lon180(lon):
    return (np.asarray(lon) + 180.0) % 360.0 - 180.0


def plot_solution(
    sol: BlockSolution,
    fig=None,
    *,
    margin_deg: float = 0.5,
    scale: float = 40.0,
    residual_scale: float = 5.0,
):
    """Three maps: observed and modelled velocities, residuals, and segment slip rates with
    mesh coupling (matplotlib; longitudes in degrees east, wrapped to [-180, 180)).

    The maps are zoomed on the stations' central 96 % (plus `margin_deg`).  Arrows are
    `scale` (velocities) or `residual_scale` (residuals) mm/yr per degree of map.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    m = sol.model
    fig = fig if fig is not None else plt.figure(figsize=(18, 6.5))
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    st = m.station
    lon, lat = _lon180(st.lon.to_numpy()), st.lat.to_numpy()
    lo = np.percentile(lon, [2, 98]) + np.array([-margin_deg, margin_deg])
    la = np.percentile(lat, [2, 98]) + np.array([-margin_deg, margin_deg])
    sg = m.segment
    lines = np.stack(
        [
            np.c_[_lon180(sg.lon1.to_numpy()), sg.lat1.to_numpy()],
            np.c_[_lon180(sg.lon2.to_numpy()), sg.lat2.to_numpy()],
        ],
        1,
    )
    keep = np.abs(lines[:, 0, 0] - lines[:, 1, 0]) < 180.0  # skip segments drawn across the map
    obs, pred, res = sol.observed, sol.predicted, sol.residual
    ax = axes[0]
    ax.add_collection(LineCollection(lines[keep], colors="0.6", linewidths=0.6))
    kw = {"angles": "xy", "scale_units": "xy", "width": 0.0025}
    q = ax.quiver(lon, lat, obs[:, 0], obs[:, 1], color="k", scale=scale, label="observed", **kw)
    ax.quiver(lon, lat, pred[:, 0], pred[:, 1], color="C3", scale=scale, label="model", **kw)
    ax.quiverkey(q, 0.85, 0.04, 20, "20 mm/yr", labelpos="N")
    ax.legend(loc="upper right")
    ax.set_title(f"velocities ({len(st)} stations), mm/yr")
    ax = axes[1]
    ax.add_collection(LineCollection(lines[keep], colors="0.6", linewidths=0.6))
    q = ax.quiver(lon, lat, res[:, 0], res[:, 1], color="C0", scale=residual_scale, **kw)
    ax.quiverkey(q, 0.85, 0.04, 2, "2 mm/yr", labelpos="N")
    stats = sol.residual_stats()
    ax.set_title(
        f"residuals: RMS {stats['residual_rms_mm_per_yr']:.2f}, "
        f"mean |r| {stats['residual_mean_abs_mm_per_yr']:.2f} mm/yr"
    )
    ax = axes[2]
    tables = solution_tables(sol)
    for i, mesh in enumerate(m.meshes):
        t = tables.get(f"mesh{i}")
        if t is None:
            continue
        polys = mesh.corners[..., :2].copy()
        polys[..., 0] = _lon180(polys[..., 0])
        pc = PolyCollection(polys, array=t.coupling_dip_slip.to_numpy(), cmap="viridis")
        pc.set_clim(0, 1)
        ax.add_collection(pc)
        if i == 0:
            fig.colorbar(pc, ax=ax, shrink=0.8, pad=0.02, label="dip-slip coupling")
    rate = np.hypot(sol.slip_rate[:, 0], sol.slip_rate[:, 1])
    lc = LineCollection(lines[keep], array=rate[keep], cmap="magma_r", linewidths=1.5)
    lc.set_clim(0, np.percentile(rate, 98))
    ax.add_collection(lc)
    fig.colorbar(
        lc, ax=ax, orientation="horizontal", shrink=0.8, pad=0.1, label="segment slip rate (mm/yr)"
    )
    ax.set_title("slip rates and coupling")
    for ax in axes:
        ax.set_xlim(*lo)
        ax.set_ylim(*la)
        ax.set_aspect(1.0 / np.cos(np.radians(np.mean(la))))
        ax.set_xlabel("longitude (deg)")
    axes[0].set_ylabel("latitude (deg)")
    fig.tight_layout()
    return fig
