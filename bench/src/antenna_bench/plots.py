"""The benchmark's figure: mean and p95 wait and mean bounded slowdown per policy (PNG)."""

from __future__ import annotations

from pathlib import Path

from antenna_bench.placement_benchmark import BenchmarkResult


def write_plot(result: BenchmarkResult, path: Path) -> None:
    """Three bar charts side by side, log scale, small PNG (matplotlib's Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result.policies)
    colours = ["#1f6f8b" if name == "antenna" else "#9aa5b1" if name != "oracle" else "#e09f3e"
               for name in names]
    panels = (("mean_wait_s", "mean wait (s)"), ("p95_wait_s", "p95 wait (s)"),
              ("mean_bounded_slowdown", "mean bounded slowdown"))
    figure, axes = plt.subplots(1, 3, figsize=(10.5, 3.4), dpi=80)
    for axis, (key, title) in zip(axes, panels, strict=True):
        values = [max(float(result.policies[name][key]), 1e-3) for name in names]  # type: ignore[literal-required]
        axis.bar(range(len(names)), values, color=colours)
        axis.set_yscale("log")
        axis.set_title(title, fontsize=10)
        axis.set_xticks(range(len(names)))
        axis.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
        axis.tick_params(axis="y", labelsize=8)
        for x, value in enumerate(values):
            axis.annotate(f"{value:.3g}", (x, value), ha="center", va="bottom", fontsize=7)
    figure.suptitle(f"{result.trace}: {result.jobs} jobs, load x{result.load_scale:g}, "
                    + ", ".join(f"{k} {v}" for k, v in result.factories.items()) + " GPUs",
                    fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
