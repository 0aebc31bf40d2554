"""Draw docs/figures/conventions.png: the geophysical (ENU) frame and Okada's kernel frame.

Run from anywhere:  .venv/bin/python docs/figures/make_conventions_figure.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Arc, FancyArrowPatch, Polygon  # noqa: E402

OUT = Path(__file__).with_name("conventions.png")

STRIKE = 30.0  # deg, clockwise from north
DIP = 40.0  # deg, for the cross-section
C_FAULT = "#b2182b"
C_OKADA = "#2166ac"
C_GEO = "#333333"
C_HW = "#fddbc7"


def arrow(ax, start, end, color, lw=1.8, style="-|>", ms=14, **kw):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=ms,
            color=color,
            lw=lw,
            shrinkA=0,
            shrinkB=0,
            **kw,
        )
    )


def map_view(ax):
    s = np.radians(STRIKE)
    along = np.array([np.sin(s), np.cos(s)])  # strike direction (east, north)
    right = np.array([np.cos(s), -np.sin(s)])  # dip direction: strike + 90 deg
    half_len, proj_w = 1.0, 0.75  # half length, horizontal width of the dipping plane

    # Surface projection of the fault plane (it dips to the right of strike).
    top_a, top_b = -half_len * along, half_len * along
    poly = np.array([top_a, top_b, top_b + proj_w * right, top_a + proj_w * right])
    ax.add_patch(Polygon(poly, closed=True, fc=C_HW, ec=C_FAULT, lw=0.8, ls="--"))
    # Fault trace (top edge) with dip ticks on the dipping side.
    ax.plot(*np.array([top_a, top_b]).T, color=C_FAULT, lw=3, solid_capstyle="butt")
    for t in np.linspace(-0.75, 0.75, 4):
        p = t * along
        ax.plot(*np.array([p, p + 0.09 * right]).T, color=C_FAULT, lw=2)
    ax.text(
        0.95,
        -0.12,
        "surface projection\nof the dipping plane",
        fontsize=8,
        color=C_FAULT,
        ha="left",
        va="top",
    )

    # Strike arrow and angle from north.
    arrow(ax, top_b, top_b + 0.55 * along, C_FAULT, lw=2.5)
    ax.text(
        *(top_b + 0.6 * along + 0.05 * right),
        "strike direction",
        color=C_FAULT,
        fontsize=9,
        ha="left",
        va="bottom",
    )
    ax.plot([0, 0], [0, 1.55], color=C_GEO, lw=0.8, ls=":")
    ax.add_patch(Arc((0, 0), 1.1, 1.1, angle=90, theta1=-STRIKE, theta2=0, color=C_GEO, lw=1.2))
    ax.text(0.09, 0.6, "φ", fontsize=12, color=C_GEO)
    ax.text(
        -0.5,
        1.52,
        "strike φ: clockwise\nfrom north",
        fontsize=8,
        color=C_GEO,
        ha="center",
        va="bottom",
    )

    # Dip direction: to the right of strike.
    mid = -0.45 * along
    arrow(ax, mid, mid + 0.95 * right, C_GEO, lw=1.8)
    ax.text(
        *(mid + 0.95 * right + np.array([0.06, 0.0])),
        "dip direction\n(strike + 90°, to the\nright of strike)",
        fontsize=8,
        color=C_GEO,
        ha="left",
        va="center",
    )

    # Okada's axes at the reference point (FaultModel: the centroid, projected).
    ref = 0.5 * proj_w * right
    arrow(ax, ref, ref + 0.75 * along, C_OKADA, lw=2)
    arrow(ax, ref, ref - 0.75 * right, C_OKADA, lw=2)
    ax.plot(*ref, "o", color=C_OKADA, ms=5, zorder=5)
    ax.text(
        *(ref + 0.8 * along + np.array([0.04, -0.07])),
        "x (Okada)\n= (sin φ, cos φ, 0)",
        color=C_OKADA,
        fontsize=8,
        ha="left",
        va="top",
    )
    ax.text(
        *(ref - 0.8 * right + np.array([-0.02, 0.05])),
        "y (Okada)\n= (−cos φ, sin φ, 0)\nleft of strike",
        color=C_OKADA,
        fontsize=8,
        ha="right",
        va="bottom",
    )
    ax.text(*(ref + np.array([0.08, -0.13])), "centroid", color=C_OKADA, fontsize=8)

    # ENU axes.
    o = np.array([-1.75, -1.75])
    arrow(ax, o, o + [0.5, 0], C_GEO, lw=1.5, ms=11)
    arrow(ax, o, o + [0, 0.5], C_GEO, lw=1.5, ms=11)
    ax.text(*(o + [0.55, 0]), "east (x)", fontsize=9, va="center")
    ax.text(*(o + [0, 0.56]), "north (y)", fontsize=9, ha="center")
    ax.text(*(o + [0.08, -0.2]), "up (z) out of the page", fontsize=8, color=C_GEO)

    ax.set_xlim(-2.0, 2.4)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"(a) map view (ENU), strike φ = {STRIKE:.0f}°", fontsize=11)


def cross_section(ax):
    d = np.radians(DIP)
    depth, half_w = 1.0, 0.7
    # Horizontal axis: distance towards the dip direction, i.e. -y of Okada's frame
    # (looking along strike, +y, to the left of strike, is on the left of the page).
    updip = np.array([-np.cos(d), np.sin(d)])  # (h, z) of the up-dip unit vector
    n_hw = np.array([np.sin(d), np.cos(d)])  # unit normal pointing into the hanging wall
    ref = np.array([0.0, -depth])
    top, bot = ref + half_w * updip, ref - half_w * updip
    x0, x1, z0 = -2.2, 2.2, -2.0

    # Footwall (grey) and hanging wall (tinted): the blocks below and above the plane.
    ax.add_patch(Polygon([[x0, 0], [x1, 0], [x1, z0], [x0, z0]], fc="#eeeeee", ec="none", zorder=0))
    h_surf = ref[0] - depth / np.tan(d)  # where the extended plane meets z = 0
    h_bottom = ref[0] + (-z0 - depth) / np.tan(d)  # ... and z = z0
    ax.add_patch(
        Polygon([[h_surf, 0], [x1, 0], [x1, z0], [h_bottom, z0]], fc=C_HW, ec="none", zorder=0.5)
    )
    ax.axhline(0, color=C_GEO, lw=1.5)
    ax.text(x1 - 0.05, 0.05, "free surface, z = 0", ha="right", va="bottom", fontsize=8)
    ax.text(x1 - 0.05, -0.05, "medium z ≤ 0", ha="right", va="top", fontsize=8)

    # Fault plane, and its extension (dotted).
    ax.plot([h_surf, h_bottom], [0, z0], color=C_FAULT, lw=0.8, ls=":")
    ax.plot(*np.array([top, bot]).T, color=C_FAULT, lw=3.5, solid_capstyle="butt")
    ax.text(
        *(top + [-0.1, -0.02]), "η = aw2\n(= W/2)", color=C_FAULT, fontsize=8, ha="right", va="top"
    )
    ax.text(*(bot + [0.1, -0.02]), "η = aw1 (= −W/2)", color=C_FAULT, fontsize=8, va="top")

    # Up-dip coordinate eta, beside the upper half of the plane on the footwall side.
    base = ref - 0.45 * n_hw
    arrow(ax, base - 0.1 * updip, base + 0.5 * updip, C_OKADA, lw=1.6, ms=12)
    ax.text(
        *(base + 0.1 * updip + [-0.1, -0.1]),
        "η (up-dip)",
        color=C_OKADA,
        fontsize=9,
        ha="right",
        va="center",
    )

    # Reference point and depth.
    ax.plot(*ref, "o", color=C_OKADA, ms=6, zorder=5)
    ax.annotate(
        "",
        xy=(ref[0], 0.0),
        xytext=ref,
        arrowprops=dict(arrowstyle="<->", color=C_GEO, lw=1.0, shrinkA=3, shrinkB=0),
    )
    ax.text(ref[0] + 0.06, -0.3, "depth", fontsize=9, color=C_GEO, ha="left")
    ax.annotate(
        "reference point (0, 0, −depth)\n= centroid in FaultModel",
        xy=ref,
        xytext=(0.45, -0.75),
        fontsize=8,
        color=C_OKADA,
        va="center",
        arrowprops=dict(arrowstyle="-", color=C_OKADA, lw=0.8, shrinkB=4),
    )

    # Dip angle at the down-dip edge, from the horizontal.
    ax.plot([bot[0] - 0.8, bot[0]], [bot[1], bot[1]], color=C_GEO, lw=0.8, ls="--")
    ax.add_patch(Arc(bot, 1.0, 1.0, angle=0, theta1=180 - DIP, theta2=180, color=C_GEO, lw=1.2))
    ax.text(bot[0] - 0.62, bot[1] + 0.06, "δ", fontsize=12, color=C_GEO, va="bottom")

    # Reverse slip (disl2 > 0): the hanging wall moves up-dip relative to the footwall.
    for side, sign in ((0.14, +1), (-0.14, -1)):
        c = ref + 0.35 * updip + side * n_hw
        arrow(ax, c - sign * 0.2 * updip, c + sign * 0.2 * updip, C_FAULT, lw=1.4, ms=10)
    ax.text(1.35, -0.35, "hanging wall", fontsize=10, ha="center", fontweight="bold")
    ax.text(-1.5, -1.3, "footwall", fontsize=10, ha="center", fontweight="bold")
    ax.text(
        x0 + 0.1,
        z0 + 0.1,
        "red arrows: reverse slip\n(disl2 > 0, hanging wall up-dip)",
        fontsize=8,
        color=C_FAULT,
        ha="left",
        va="bottom",
    )

    # Okada's axes in this view.
    o = np.array([-1.3, 0.3])
    arrow(ax, o, o + [0, 0.45], C_OKADA, lw=1.6, ms=11)
    arrow(ax, o, o + [-0.55, 0], C_OKADA, lw=1.6, ms=11)
    ax.text(*(o + [0.06, 0.42]), "z (up)", color=C_OKADA, fontsize=9, va="top")
    ax.text(*(o + [-0.5, -0.05]), "y (Okada)", color=C_OKADA, fontsize=9, va="top")
    ax.plot(*o, marker="o", ms=11, mfc="white", mec=C_OKADA, mew=1.4, zorder=6)
    ax.plot(*o, marker="x", ms=7, color=C_OKADA, mew=1.4, zorder=7)
    ax.text(*(o + [0.12, 0.0]), "x (strike) into the page", color=C_OKADA, fontsize=8, va="center")

    ax.set_xlim(x0, x1)
    ax.set_ylim(z0, 0.9)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"(b) cross-section looking along strike, dip δ = {DIP:.0f}°", fontsize=11)


def main():
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 5.4), gridspec_kw=dict(width_ratios=[1, 1.1]))
    map_view(a)
    cross_section(b)
    fig.tight_layout()
    fig.savefig(OUT, dpi=110, bbox_inches="tight", pad_inches=0.1)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
