"""Figures with matplotlib: slip distributions and stress maps and sections with aftershocks.

Coordinates are plotted in km in the local ENU frame of the model (east, north; depth
positive down).  Stress is shown in MPa.  Every function takes an optional `ax` and returns it.
"""

from __future__ import annotations

import numpy as np

from ._fault import numpy_geometry


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.5, 5.5))
    return ax


def _norm(values):
    from matplotlib import colors

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    top = float(np.percentile(np.abs(v), 99.5)) if v.size else 1.0
    top = top if top > 0 else 1.0
    if v.size and v.min() < 0:
        return colors.SymLogNorm(linthresh=top * 1e-3, vmin=-top, vmax=top), "RdBu_r"
    return colors.LogNorm(vmin=top * 1e-4, vmax=top), "magma_r"


def plot_slip(fault, ax=None, *, view="map", cmap="viridis", colorbar=True):
    """The slip distribution of a `FaultModel`: one polygon per patch, coloured by slip (m).

    `view="map"`: patch outlines projected on the surface (east, north km); `"section"`:
    distance along the mean strike (km) against depth (km), the view of slip-model papers.
    """
    from matplotlib.collections import PolyCollection

    ax = _axes(ax)
    corners = numpy_geometry(fault)["corners"] / 1e3
    slip = np.hypot(*np.asarray(fault.slip, float)[:, :2].T)
    if view == "map":
        polys = corners[:, :, :2]
        ax.set_xlabel("east (km)")
        ax.set_ylabel("north (km)")
        ax.set_aspect("equal")
    elif view == "section":
        strike = np.radians(_mean_strike(fault))
        along = corners[:, :, 0] * np.sin(strike) + corners[:, :, 1] * np.cos(strike)
        polys = np.stack([along, -corners[:, :, 2]], axis=-1)
        ax.set_xlabel(f"along strike {np.degrees(strike):.0f} deg (km)")
        ax.set_ylabel("depth (km)")
        ax.invert_yaxis()
    else:
        raise ValueError(f"plot_slip: view must be 'map' or 'section', got {view!r}.")
    coll = PolyCollection(polys, array=slip, cmap=cmap, edgecolors="k", linewidths=0.2)
    ax.add_collection(coll)
    if view == "map":
        # Steep patches project to slivers: their centroids carry the colour instead.
        c = np.asarray(fault.centroid, float) / 1e3
        ax.scatter(c[:, 0], c[:, 1], c=slip, cmap=cmap, norm=coll.norm, s=6, zorder=3)
    ax.autoscale_view()
    if colorbar:
        ax.figure.colorbar(coll, ax=ax, label="slip (m)", shrink=0.8)
    name = getattr(fault.info, "tag", "") if fault.info is not None else ""
    mw = float(fault.magnitude())
    ax.set_title(f"{name} slip, Mw {mw:.2f} (mu = 30 GPa)".strip())
    return ax


def _mean_strike(fault):
    w = numpy_geometry(fault)["area"] * np.hypot(*np.asarray(fault.slip, float)[:, :2].T)
    phi = np.radians(np.asarray(fault.strike, float))
    # Strikes are axial (0 and 180 describe the same line): average the doubled angle.
    return (
        float(
            np.degrees(0.5 * np.arctan2(np.sum(w * np.sin(2 * phi)), np.sum(w * np.cos(2 * phi))))
        )
        % 180
    )


def plot_stress_map(
    table,
    metric="von_mises",
    *,
    depth_km=None,
    aftershocks=None,
    fault=None,
    ax=None,
    colorbar=True,
):
    """Map (east, north km) of one metric at one depth layer of a grid table.

    **Arguments:** `table` from `quakejax.aftershocks.grid_table` (x, y, z in km, stress in
    Pa); `metric`: a column; `depth_km`: the layer nearest this depth (default the layer
    with the most positive cells, else the shallowest); `aftershocks`: (n, 3) ENU m of events
    to overlay (those in the layer are drawn); `fault`: its patch outlines are drawn.
    Positive cells (`aftershocksyn` = 1) are outlined.
    """
    from matplotlib.collections import PolyCollection

    ax = _axes(ax)
    z = table["z"].to_numpy()
    layers = np.unique(z)
    if depth_km is None:
        if "aftershocksyn" in table and table["aftershocksyn"].sum() > 0:
            counts = [table["aftershocksyn"][z == lz].sum() for lz in layers]
            zl = layers[int(np.argmax(counts))]
        else:
            zl = layers.max()
    else:
        zl = layers[np.argmin(np.abs(-layers - depth_km))]
    sel = table[np.isclose(z, zl)]
    h = _cell_km(table)
    x, y = sel["x"].to_numpy(), sel["y"].to_numpy()
    squares = _rectangles(x, y, h, h)
    values = sel[metric].to_numpy() / 1e6
    norm, cmap = _norm(values)
    coll = PolyCollection(squares, array=values, cmap=cmap, norm=norm, edgecolors="none")
    ax.add_collection(coll)
    if "aftershocksyn" in sel:
        pos = squares[sel["aftershocksyn"].to_numpy() > 0]
        ax.add_collection(PolyCollection(pos, facecolors="none", edgecolors="k", linewidths=0.4))
    if fault is not None:
        top = numpy_geometry(fault)["corners"][:, :, :2] / 1e3
        ax.add_collection(PolyCollection(top, facecolors="none", edgecolors="0.3", linewidths=0.3))
    if aftershocks is not None and len(aftershocks):
        a = np.asarray(aftershocks, float) / 1e3
        thick = _layer_km(table)
        inl = np.abs(a[:, 2] - zl) <= thick / 2
        # Only those over the grid.
        inl &= (a[:, 0] >= x.min() - h) & (a[:, 0] <= x.max() + h)
        inl &= (a[:, 1] >= y.min() - h) & (a[:, 1] <= y.max() + h)
        ax.plot(a[inl, 0], a[inl, 1], ".", ms=2, color="c", label="aftershocks in layer")
        ax.legend(loc="upper right", fontsize=7)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_title(f"{metric} at {-zl:.1f} km depth (MPa)")
    if colorbar:
        ax.figure.colorbar(coll, ax=ax, label=f"{metric} (MPa)", shrink=0.8)
    return ax


def plot_probability_map(
    table, column="probability", *, fault=None, ax=None, colorbar=True, cmap="magma"
):
    """Map (east, north km) of the largest value over depth of a 0..1 `column` of a grid
    table (for example the network's aftershock probability), with the cells that hold
    aftershocks outlined when the table is labelled and the fault's patches drawn."""
    from matplotlib.collections import PolyCollection

    ax = _axes(ax)
    xy = table[["x", "y"]].to_numpy()
    keys, inverse = np.unique(np.round(xy, 6), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    top = np.full(len(keys), -np.inf)
    np.maximum.at(top, inverse, table[column].to_numpy(float))
    h = _cell_km(table)
    squares = _rectangles(keys[:, 0], keys[:, 1], h, h)
    coll = PolyCollection(squares, array=top, cmap=cmap, edgecolors="none")
    coll.set_clim(0.0, 1.0)
    ax.add_collection(coll)
    if "aftershocksyn" in table:
        hit = np.zeros(len(keys), bool)
        np.logical_or.at(hit, inverse, table["aftershocksyn"].to_numpy() > 0)
        ax.add_collection(
            PolyCollection(squares[hit], facecolors="none", edgecolors="c", linewidths=0.5)
        )
    if fault is not None:
        outline = numpy_geometry(fault)["corners"][:, :, :2] / 1e3
        ax.add_collection(
            PolyCollection(outline, facecolors="none", edgecolors="w", linewidths=0.3)
        )
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set(xlabel="east (km)", ylabel="north (km)", title=f"{column}, largest over depth")
    if colorbar:
        ax.figure.colorbar(coll, ax=ax, label=column, shrink=0.8)
    return ax


def plot_stress_section(
    table,
    metric="von_mises",
    *,
    centre_km=(0.0, 0.0),
    azimuth=90.0,
    aftershocks=None,
    ax=None,
    colorbar=True,
):
    """Depth section of one metric along a vertical plane through `centre_km` (east, north)
    at `azimuth` (deg clockwise from north): cells within half a cell of the plane are shown
    at (distance along the azimuth, depth), and aftershocks within the same band overlaid."""
    from matplotlib.collections import PolyCollection

    ax = _axes(ax)
    h, thick = _cell_km(table), _layer_km(table)
    az = np.radians(azimuth)
    dx = table["x"].to_numpy() - centre_km[0]
    dy = table["y"].to_numpy() - centre_km[1]
    along = dx * np.sin(az) + dy * np.cos(az)
    across = dx * np.cos(az) - dy * np.sin(az)
    sel = np.abs(across) <= h / 2 * np.sqrt(2)
    d, depth = along[sel], -table["z"].to_numpy()[sel]
    rects = _rectangles(d, depth, h, thick)
    values = table[metric].to_numpy()[sel] / 1e6
    norm, cmap = _norm(values)
    coll = PolyCollection(rects, array=values, cmap=cmap, norm=norm, edgecolors="none")
    ax.add_collection(coll)
    if "aftershocksyn" in table:
        pos = rects[table["aftershocksyn"].to_numpy()[sel] > 0]
        ax.add_collection(PolyCollection(pos, facecolors="none", edgecolors="k", linewidths=0.4))
    if aftershocks is not None and len(aftershocks):
        a = np.asarray(aftershocks, float) / 1e3
        ax_ = (a[:, 0] - centre_km[0]) * np.sin(az) + (a[:, 1] - centre_km[1]) * np.cos(az)
        ac = (a[:, 0] - centre_km[0]) * np.cos(az) - (a[:, 1] - centre_km[1]) * np.sin(az)
        band = (np.abs(ac) <= h) & (ax_ >= d.min() - h) & (ax_ <= d.max() + h)
        band &= -a[:, 2] <= depth.max() + thick
        ax.plot(ax_[band], -a[band, 2], ".", ms=2, color="c", label="aftershocks")
        ax.legend(loc="lower right", fontsize=7)
    ax.autoscale_view()
    ax.invert_yaxis()
    ax.set_xlabel(f"distance along azimuth {azimuth % 360:.0f} deg (km)")
    ax.set_ylabel("depth (km)")
    ax.set_title(f"{metric} section (MPa)")
    if colorbar:
        ax.figure.colorbar(coll, ax=ax, label=f"{metric} (MPa)", shrink=0.8)
    return ax


def _rectangles(cx, cy, w, h):
    """Corners (n, 4, 2) of axis-aligned rectangles of size w x h centred on (cx, cy)."""
    return np.stack(
        [
            np.stack([cx - w / 2, cy - h / 2], -1),
            np.stack([cx + w / 2, cy - h / 2], -1),
            np.stack([cx + w / 2, cy + h / 2], -1),
            np.stack([cx - w / 2, cy + h / 2], -1),
        ],
        axis=1,
    )


def _cell_km(table):
    x = np.unique(np.round(table["x"].to_numpy(), 6))
    return float(np.min(np.diff(x))) if x.size > 1 else 5.0


def _layer_km(table):
    z = np.unique(np.round(table["z"].to_numpy(), 6))
    return float(np.min(np.diff(z))) if z.size > 1 else 5.0
