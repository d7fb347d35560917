"""Figures for model cards, built with matplotlib's object API (no pyplot, no global state, no files).

Each function returns a :class:`matplotlib.figure.Figure`; the caller saves it (``fig.savefig(path)``
renders with the Agg canvas, so no display is needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from analytics.metrics import ReliabilityCurve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["interval_coverage_figure", "predicted_vs_actual_figure", "reliability_figure"]


def _figure(width: float = 6.0, height: float = 5.0) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def predicted_vs_actual_figure(
    actual: ArrayLike, predicted: ArrayLike, *, title: str = "Predicted vs actual"
) -> Figure:
    """Log-log scatter of held-out predictions against actual values, with the diagonal."""
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter(a, p, s=6, alpha=0.4, color="tab:blue", edgecolors="none")
    lo, hi = float(min(a.min(), p.min())), float(max(a.max(), p.max()))
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="predicted = actual")
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted (held out)")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def interval_coverage_figure(
    actual: ArrayLike,
    low: ArrayLike,
    high: ArrayLike,
    estimate: ArrayLike,
    *,
    nominal: float = 0.8,
    bins: int = 10,
    title: str = "Interval coverage by predicted value",
) -> Figure:
    """Share of held-out values inside their interval, per decile of the estimate, against the nominal level."""
    a, lo, hi, e = (np.asarray(v, dtype=np.float64) for v in (actual, low, high, estimate))
    order = np.argsort(e, kind="stable")
    groups = np.array_split(order, bins)
    cover = [float(np.mean((lo[g] <= a[g]) & (a[g] <= hi[g]))) for g in groups]
    width = [float(np.median((hi[g] - lo[g]) / e[g])) for g in groups]
    fig = _figure(7.0, 5.0)
    ax = fig.add_subplot()
    x = np.arange(1, bins + 1)
    ax.bar(x, cover, color="tab:green", alpha=0.7, label="observed coverage")
    ax.axhline(nominal, color="black", linestyle="--", linewidth=1, label=f"nominal {nominal:.0%}")
    ax.axhline(float(np.mean((lo <= a) & (a <= hi))), color="tab:red", linewidth=1, label="overall")
    ax.set_ylim(0, 1.2)
    ax.set_xticks(x)
    ax.set_xlabel("decile of the estimate (1 = cheapest)")
    ax.set_ylabel("share of actual values inside the interval")
    twin = ax.twinx()
    twin.plot(x, width, color="tab:purple", marker="o", label="median relative width")
    twin.set_ylabel("median (high - low) / estimate")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, loc="upper center", ncol=2, fontsize=8)
    return fig


def reliability_figure(curve: ReliabilityCurve, *, title: str = "Reliability curve") -> Figure:
    """Observed default rate against mean predicted probability per bin, with bin counts."""
    fig = _figure()
    ax = fig.add_subplot()
    top = float(max(curve.mean_predicted.max(), curve.observed_rate.max(), 0.05)) * 1.1
    ax.plot([0, top], [0, top], color="black", linewidth=1, label="perfectly calibrated")
    ax.plot(curve.mean_predicted, curve.observed_rate, marker="o", color="tab:orange", label="model")
    for x, y, c in zip(curve.mean_predicted, curve.observed_rate, curve.count, strict=True):
        ax.annotate(str(int(c)), (float(x), float(y)), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig
