"""Search figures: panels per layout/lr, plotted values equal the trials', failed trials left out."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from npnn.report.figures import figure_bytes
from npnn.report.search_levels import BINS
from npnn.report.search_plots import (
    plot_accuracy_vs_lr,
    plot_accuracy_vs_strength,
    plot_search_heatmap,
)
from npnn.report.sources import Search, Trial, load_search, regularization_label
from npnn.search.results import COLUMNS, write_csv

PNG = b"\x89PNG\r\n\x1a\n"
PLOTS = [plot_accuracy_vs_strength, plot_accuracy_vs_lr, plot_search_heatmap]


def trial(number: int, hidden=(64,), lr=0.01, reg="none", strength=0.0, val=0.8, test=0.79,
          batch=32, state="complete") -> Trial:
    return Trial(number, tuple(hidden), batch, lr, reg, strength, val if state == "complete" else None,
                 test if state == "complete" else None, 3, 1.0, state, None)


def grid_search() -> Search:
    """2 layouts x 3 lrs x (none, L2 0.001, L2 0.1), val accuracy a known function of the cell,
    plus one failed trial that must not appear anywhere."""
    trials = []
    for hidden in ((64,), (128, 64)):
        for lr in (0.001, 0.01, 0.1):
            for reg, strength in (("none", 0.0), ("l2", 0.001), ("l2", 0.1)):
                val = 0.5 + 0.1 * len(hidden) + lr + strength
                trials.append(trial(len(trials), hidden, lr, reg, strength, val, val - 0.02))
    trials.append(trial(len(trials), (64,), 0.01, "l2", 0.001, state="fail"))
    return Search(Path("search"), trials)


def expected_val(hidden: tuple[int, ...], lr: float, strength: float) -> float:
    return 100 * (0.5 + 0.1 * len(hidden) + lr + strength)


def visible_axes(figure) -> list:
    return [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_regularization_label():
    assert regularization_label(trial(0)) == "none"
    assert regularization_label(trial(0, reg="l2", strength=0.01)) == "L2 0.01"
    assert regularization_label(trial(0, reg="l1", strength=1e-4)) == "L1 0.0001"


def test_strength_grid_has_a_row_per_layout_and_a_column_per_lr():
    figure = plot_accuracy_vs_strength(grid_search())
    axes = visible_axes(figure)
    assert len(axes) == 2 * 3
    assert [ax.get_title() for ax in axes[:3]] == ["lr 0.001", "lr 0.01", "lr 0.1"]
    assert all(ax.get_title() == "" for ax in axes[3:])  # column titles on the top row only
    assert "784-64-10" in axes[0].get_ylabel() and "784-128-64-10" in axes[3].get_ylabel()
    assert axes[1].get_ylabel() == ""  # only outer axes labelled
    title = figure._suptitle.get_text()
    assert "18 complete trials" in title and "1 failed not shown" in title
    assert len(figure.legends) == 1


def test_strength_points_equal_the_trials_and_none_sits_left():
    figure = plot_accuracy_vs_strength(grid_search())
    ax = visible_axes(figure)[4]  # row hidden 128-64, lr 0.01
    by_gid = {c.get_gid(): c.get_offsets() for c in ax.collections}
    l2 = by_gid["validation:l2"]
    assert sorted(l2[:, 0]) == [0.001, 0.1]
    np.testing.assert_allclose(sorted(l2[:, 1]), [expected_val((128, 64), 0.01, s) for s in (0.001, 0.1)])
    none = by_gid["validation:none"]
    assert none.shape == (1, 2) and none[0, 0] < 0.001
    np.testing.assert_allclose(none[0, 1], expected_val((128, 64), 0.01, 0.0))
    np.testing.assert_allclose(sorted(by_gid["test:l2"][:, 1]), sorted(l2[:, 1] - 2.0))
    assert ax.get_xscale() == "log"
    assert "none" in [t.get_text() for t in ax.get_xticklabels()]


def test_strength_failed_trial_is_not_plotted():
    figure = plot_accuracy_vs_strength(grid_search())
    ax = visible_axes(figure)[1]  # hidden 64, lr 0.01: the failed trial's cell
    assert len(next(c for c in ax.collections if c.get_gid() == "validation:l2").get_offsets()) == 2


def test_strength_marks_l1_and_l2_apart():
    trials = [trial(0, reg="l1", strength=0.01, val=0.7), trial(1, reg="l2", strength=0.01, val=0.9)]
    ax = visible_axes(plot_accuracy_vs_strength(Search(Path("s"), trials)))[0]
    by_gid = {c.get_gid(): c for c in ax.collections}
    assert by_gid["validation:l1"].get_offsets()[0, 1] == pytest.approx(70.0)
    assert by_gid["validation:l2"].get_offsets()[0, 1] == pytest.approx(90.0)
    l1, l2 = (by_gid[f"validation:{kind}"].get_facecolor()[0].tolist() for kind in ("l1", "l2"))
    assert l1 != l2


def test_lr_panels_lines_and_values():
    figure = plot_accuracy_vs_lr(grid_search())
    axes = visible_axes(figure)
    assert [ax.get_title() for ax in axes] == ["784-64-10, batch 32", "784-128-64-10, batch 32"]
    assert axes[0].get_ylabel() == "validation accuracy (%)"
    assert all(ax.get_xlabel().startswith("learning rate") for ax in axes)
    lines = axes[1].get_lines()
    assert [line.get_label() for line in lines] == ["none", "L2 0.001", "L2 0.1"]
    np.testing.assert_allclose(lines[2].get_xdata(), [0.001, 0.01, 0.1])
    np.testing.assert_allclose(lines[2].get_ydata(), [expected_val((128, 64), lr, 0.1)
                                                      for lr in (0.001, 0.01, 0.1)])
    assert axes[0].get_xscale() == "log"  # 0.001 to 0.1 spans two decades
    assert "1 failed not shown" in figure._suptitle.get_text()


def test_lr_axis_is_linear_within_one_decade_and_shows_the_best_of_a_cell():
    trials = [trial(0, lr=0.002, val=0.80, batch=8), trial(1, lr=0.002, val=0.85, batch=16),
              trial(2, lr=0.02, val=0.70, batch=8)]
    figure = plot_accuracy_vs_lr(Search(Path("s"), trials))
    ax = visible_axes(figure)[0]
    assert ax.get_xscale() == "linear"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [85.0, 70.0])
    assert "best of up to 2 trials per point (batch sizes vary)" in figure._suptitle.get_text()


def test_heatmap_cells_equal_the_best_val_accuracy():
    figure = plot_search_heatmap(grid_search())
    axes = visible_axes(figure)
    assert len(axes) == 2 and len(figure.axes) == 3  # two panels and one shared colorbar
    cells = axes[1].images[0].get_array()
    expected = [[expected_val((128, 64), lr, s) for lr in (0.001, 0.01, 0.1)] for s in (0.0, 0.001, 0.1)]
    np.testing.assert_allclose(cells, expected)
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["none", "L2 0.001", "L2 0.1"]
    assert axes[0].images[0].get_clim() == axes[1].images[0].get_clim()
    best = [p for p in axes[1].patches if p.get_gid() == "best"]
    assert len(best) == 1 and best[0].get_xy() == (1.5, 1.5)  # lr 0.1, L2 0.1
    assert f"{expected[2][2]:.1f}" in [t.get_text() for t in axes[1].texts]
    assert axes[-1].get_xlabel() == "learning rate"


def test_heatmap_hatches_missing_cells_and_says_so():
    trials = [trial(0, lr=0.01, val=0.8), trial(1, lr=0.1, reg="l2", strength=0.01, val=0.6),
              trial(2, lr=0.1, val=0.7, state="fail")]
    figure = plot_search_heatmap(Search(Path("s"), trials))
    ax = visible_axes(figure)[0]
    cells = ax.images[0].get_array()
    assert cells.mask.tolist() == [[False, True], [True, False]]
    assert len([p for p in ax.patches if p.get_gid() == "missing"]) == 2
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "no complete trial" in labels
    assert "1 failed not shown" in figure._suptitle.get_text()


def test_heatmap_text_is_white_on_dark_cells():
    trials = [trial(0, lr=0.01, val=0.2), trial(1, lr=0.1, val=0.9)]
    ax = visible_axes(plot_search_heatmap(Search(Path("s"), trials)))[0]
    colors = {t.get_text(): t.get_color() for t in ax.texts}
    assert colors["20.0"] == "white" and colors["90.0"] == "black"  # viridis: dark low, yellow high


def test_heatmap_bins_a_continuous_lr_search():
    rng = np.random.default_rng(0)
    trials = [trial(i, lr=float(lr), val=0.5 + 0.01 * i) for i, lr in enumerate(rng.uniform(1e-4, 1e-1, 40))]
    figure = plot_search_heatmap(Search(Path("s"), trials))
    assert figure.axes[0].images[0].get_array().shape[1] <= BINS
    assert "best of up to" in figure._suptitle.get_text()
    lines = plot_accuracy_vs_lr(Search(Path("s"), trials)).axes[0].get_lines()
    assert len(lines[0].get_xdata()) == 40 and lines[0].get_linestyle() == "None"  # sampled lr: not joined


@pytest.mark.parametrize("plot", PLOTS)
def test_single_trial_and_no_trials_render(plot):
    one = plot(Search(Path("s"), [trial(0)]))
    assert figure_bytes(one).startswith(PNG)
    assert "1 complete trial" in one._suptitle.get_text()
    nothing = plot(Search(Path("s"), [trial(0, state="fail")]))
    assert figure_bytes(nothing).startswith(PNG)
    assert "0 complete trials" in nothing._suptitle.get_text()
    assert "1 failed not shown" in nothing._suptitle.get_text()


def test_plots_read_a_bare_csv(tmp_path):
    rows = [{"no": i, "train_id": "", "accuracy": 0.8, "hidden_size": "32 16", "batch_size": 8,
             "learning_rate": lr, "regularization": reg, "regular_strength": s, "val_accuracy": 0.81,
             "epochs": 2, "seconds": 1.0, "state": "complete", "run_dir": ""}
            for i, (lr, reg, s) in enumerate([(0.01, "none", 0.0), (0.02, "l2", 0.001)])]
    assert set(rows[0]) == set(COLUMNS)
    write_csv(tmp_path / "results.csv", rows)
    search = load_search(tmp_path / "results.csv")
    for plot in PLOTS:
        assert figure_bytes(plot(search)).startswith(PNG)
    cells = plot_search_heatmap(search).axes[0].images[0].get_array()
    assert cells[0, 0] == pytest.approx(81.0) and math.isclose(cells[1, 1], 81.0)
