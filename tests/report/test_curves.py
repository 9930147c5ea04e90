"""Training curves and learning-rate schedules, drawn from synthetic runs (no training)."""

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from npnn.optim.lr_scheduler.base import LRScheduler
from npnn.report.curves import (
    ACCURACY_COLOR,
    LOSS_COLOR,
    lr_schedule,
    plot_lr_schedule,
    plot_training_curves,
    steps_per_epoch,
)
from npnn.report.figures import ema, figure_bytes
from npnn.report.sources import Run, load_run
from npnn.training.config import TrainConfig
from npnn.training.history import EvalRecord, History

PNG = b"\x89PNG\r\n\x1a\n"


def make_run(name="run-a", n=3, config=None, status="finished", loss=None, accuracy=None, lr=None):
    """A run with `n` evaluations, one per 1/n epoch unless given explicitly."""
    config = config or TrainConfig(hidden=[32], epochs=1)
    loss = list(np.linspace(2.0, 0.5, n)) if loss is None else loss
    accuracy = list(np.linspace(0.5, 0.85, n)) if accuracy is None else accuracy
    lr = [config.lr] * n if lr is None else lr
    records = [EvalRecord(step=100 * (i + 1), epoch=round((i + 1) / n, 4), train_loss=loss[i],
                          val_loss=loss[i], val_accuracy=accuracy[i], lr=lr[i]) for i in range(n)]
    return Run(Path("/runs") / name, config, History(records), {"status": status})


def panels(figure):
    """The left (loss) axes of each panel, in order."""
    return [ax for ax in figure.axes if ax.get_xlabel() == "epoch" or (ax.texts and not ax.lines)]


def line(ax_or_axes, gid):
    axes = ax_or_axes if isinstance(ax_or_axes, list) else [ax_or_axes]
    found = [ln for ax in axes for ln in ax.lines if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one line {gid!r}, found {len(found)}"
    return found[0]


def twin_of(figure, ax):
    return next(other for other in figure.axes if other is not ax and other.bbox.bounds == ax.bbox.bounds)


# ----- training curves -----
def test_four_runs_a_figure_with_titles_and_labels():
    runs = [make_run(f"run-{i}", config=TrainConfig(hidden=[16 * (i + 1)], epochs=1)) for i in range(6)]
    figures = plot_training_curves(runs)
    assert len(figures) == 2
    first = panels(figures[0])
    assert len(first) == 4 and len(panels(figures[1])) == 2
    assert "1 of 2" in figures[0].get_suptitle()
    for ax, run in zip(first, runs, strict=False):
        assert run.label in ax.get_title().replace("\n", " ")
        assert "best 85.00%" in ax.get_title()
        twin = twin_of(figures[0], ax)
        assert ax.get_ylabel() == "train loss"
        assert twin.get_ylabel() == "validation accuracy (%)"
    assert plot_training_curves([]) == []


def test_short_history_drawn_raw_and_equal_to_input():
    run = make_run(n=3, loss=[1.5, 0.9, 0.7], accuracy=[0.6, 0.8, 0.75])
    figure = plot_training_curves([run])[0]
    ax = panels(figure)[0]
    loss = line(ax, "loss")
    accuracy = line(figure.axes, "accuracy")
    np.testing.assert_allclose(loss.get_xdata(), [0.3333, 0.6667, 1.0])
    np.testing.assert_allclose(loss.get_ydata(), [1.5, 0.9, 0.7])
    np.testing.assert_allclose(accuracy.get_ydata(), [60.0, 80.0, 75.0])
    assert loss.get_linestyle() == "--" and accuracy.get_linestyle() == ":"
    assert "raw, 3 evals" in ax.get_title()
    best = line(figure.axes, "best")
    assert list(best.get_xdata()) == [0.6667] and list(best.get_ydata()) == [80.0]


def test_long_history_drops_first_points_and_smooths():
    n = 41
    loss = list(np.linspace(3.0, 0.3, n))
    accuracy = list(np.linspace(0.1, 0.9, n))
    figure = plot_training_curves([make_run(n=n, loss=loss, accuracy=accuracy)], alpha=0.2, skip=10)[0]
    ax = panels(figure)[0]
    raw, smooth = line(ax, "loss raw"), line(ax, "loss")
    np.testing.assert_allclose(raw.get_ydata(), loss[10:])
    np.testing.assert_allclose(smooth.get_ydata(), ema(loss[10:], 0.2))
    expected = ema(np.array(accuracy[10:]) * 100, 0.2)
    np.testing.assert_allclose(line(figure.axes, "accuracy").get_ydata(), expected)
    assert "first 10 evals dropped" in ax.get_title() and "EMA α=0.2" in ax.get_title()


def test_history_of_exactly_three_skips_keeps_every_point():
    figure = plot_training_curves([make_run(n=30)], skip=10)[0]
    ax = panels(figure)[0]
    assert len(line(ax, "loss raw").get_ydata()) == 30
    assert "dropped" not in ax.get_title()


def test_twin_axes_are_colour_coded():
    figure = plot_training_curves([make_run()])[0]
    ax = panels(figure)[0]
    twin = twin_of(figure, ax)
    assert to_rgba(ax.yaxis.label.get_color()) == to_rgba(LOSS_COLOR)
    assert all(to_rgba(t.get_color()) == to_rgba(LOSS_COLOR) for t in ax.get_yticklabels())
    assert all(to_rgba(t.get_color()) == to_rgba(ACCURACY_COLOR) for t in twin.get_yticklabels())


def test_diverged_and_empty_runs_do_not_crash():
    nan = math.nan
    diverged = make_run("diverged", n=8, status="diverged",
                        loss=[2.0, 1.5, 1.2, 1.0, nan, nan, nan, nan],
                        accuracy=[0.3, 0.5, 0.6, 0.62, 0.1, nan, nan, nan])
    empty = make_run("empty", n=0, status="failed")
    figure = plot_training_curves([diverged, empty])[0]
    ax_diverged, ax_empty = panels(figure)
    smooth = line(ax_diverged, "loss").get_ydata()
    assert np.isnan(smooth[4:]).all() and np.isfinite(smooth[:4]).all()  # no flat line after divergence
    assert "diverged" in ax_diverged.get_title() and "best 62.00%" in ax_diverged.get_title()
    assert any(t.get_text() == "no evaluations" for t in ax_empty.texts)
    assert "failed" in ax_empty.get_title()
    assert figure_bytes(figure).startswith(PNG)


def test_single_evaluation_and_all_nan_history():
    one = make_run("one", n=1)
    lost = make_run("lost", n=2, loss=[math.nan, math.nan], accuracy=[math.nan, math.nan])
    figure = plot_training_curves([one, lost])[0]
    ax_one, ax_lost = panels(figure)
    assert "raw, 1 eval" in ax_one.get_title()
    assert "no valid accuracy" in ax_lost.get_title()
    assert figure_bytes(figure).startswith(PNG)


def test_accuracy_axis_spans_at_least_two_points():
    figure = plot_training_curves([make_run(accuracy=[0.850, 0.851, 0.852])])[0]
    twin = twin_of(figure, panels(figure)[0])
    low, high = twin.get_ylim()
    assert high - low >= 2.0


# ----- learning-rate schedule -----
@pytest.mark.parametrize(("config", "steps"), [
    (TrainConfig(batch_size=128), 375),
    (TrainConfig(batch_size=3), 16000),
    (TrainConfig(batch_size=7), 6858),  # the last batch is short, not dropped
    (TrainConfig(batch_size=2, train_subset=6000), 3000),
])
def test_steps_per_epoch_matches_the_loader(config, steps):
    assert steps_per_epoch(config) == steps


def test_cosine_schedule_follows_the_formula():
    config = TrainConfig(batch_size=128, epochs=4, schedule="cosine", lr=0.01)
    epoch, lr = lr_schedule(config)
    total = 4 * 375
    steps = np.rint(epoch * 375)
    np.testing.assert_allclose(lr, 0.01 * (1 + np.cos(np.pi * steps / total)) / 2, atol=1e-12)
    assert epoch[0] == 0 and epoch[-1] == 4 and lr[-1] == pytest.approx(0.0, abs=1e-15)


def test_warmup_and_step_decay():
    config = TrainConfig(batch_size=100, epochs=9, schedule="step", step_epochs=3, step_gamma=0.5,
                         warmup_steps=200, lr=0.1)
    epoch, lr = lr_schedule(config)
    steps = np.rint(epoch * 480).astype(int)
    assert lr[0] == pytest.approx(0.1 / 200)
    level = {s: v for s, v in zip(steps, lr, strict=True)}
    assert level[200] == pytest.approx(0.1)
    first_drop = 200 + 3 * 480
    assert level[first_drop - 1] == pytest.approx(0.1) and level[first_drop] == pytest.approx(0.05)
    assert level[200 + 6 * 480] == pytest.approx(0.025)


@pytest.mark.parametrize("config", [
    TrainConfig(batch_size=64, epochs=3, schedule="cosine", warmup_steps=300),
    TrainConfig(batch_size=100, epochs=12, schedule="step", step_epochs=5, step_gamma=0.3, warmup_steps=40),
])
def test_closed_form_for_long_runs_equals_stepping(config):
    epoch, stepped = lr_schedule(config)
    epoch_closed, closed = lr_schedule(config, exact_steps=0)
    np.testing.assert_array_equal(epoch, epoch_closed)
    np.testing.assert_allclose(closed, stepped, rtol=1e-9, atol=1e-15)


def test_batch_three_run_is_read_in_closed_form_and_sampled(monkeypatch):
    """A long schedule is read by formula at the sampled steps, not stepped through."""
    asked = []
    read_ahead = LRScheduler.lrs_at

    def recording(self, epochs, closed_form=False):
        epochs = list(epochs)
        asked.append((len(epochs), closed_form))
        return read_ahead(self, epochs, closed_form)

    monkeypatch.setattr(LRScheduler, "lrs_at", recording)
    for epochs in (3, 20):
        config = TrainConfig(batch_size=3, epochs=epochs, schedule="cosine", warmup_steps=100)
        epoch, _ = lr_schedule(config)
        assert asked[-1] == (len(epoch), epochs == 20)  # 20 epochs: 320,000 steps, past EXACT_STEPS
        assert len(epoch) <= 2010 and epoch[-1] == epochs


def test_plot_groups_equal_schedules_and_shows_recorded_rates():
    same_a = make_run("a", config=TrainConfig(batch_size=8, epochs=2, schedule="constant", lr=0.01),
                      lr=[0.01, 0.01, 0.01])
    same_b = make_run("b", config=TrainConfig(batch_size=16, epochs=2, schedule="constant", lr=0.01),
                      lr=[0.01, 0.01, 0.01])
    cosine = make_run("c", config=TrainConfig(epochs=2, lr=0.004), lr=[0.004, 0.003, 0.002])
    figure = plot_lr_schedule([same_a, same_b, cosine])
    ax = figure.axes[0]
    schedules = [ln for ln in ax.lines if ln.get_gid() == "schedule"]
    assert len(schedules) == 2
    assert [ln.get_label() for ln in schedules] == ["lr 0.01, constant (a, b)", "lr 0.004, cosine (c)"]
    recorded = [ln for ln in ax.lines if ln.get_gid() == "recorded"]
    assert len(recorded) == 2 and len(recorded[0].get_ydata()) == 6
    np.testing.assert_allclose(recorded[1].get_ydata(), [0.004, 0.003, 0.002])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "learning rate" and ax.get_title()
    assert ax.get_yscale() == "linear"
    assert figure_bytes(figure).startswith(PNG)


def test_log_scale_only_beyond_two_decades():
    wide = [make_run("a", config=TrainConfig(epochs=1, lr=1e-4)),
            make_run("b", config=TrainConfig(epochs=1, lr=0.1))]
    assert plot_lr_schedule(wide).axes[0].get_yscale() == "log"
    cosine_alone = [make_run("c", config=TrainConfig(epochs=1, lr=0.01, schedule="cosine"))]
    assert plot_lr_schedule(cosine_alone).axes[0].get_yscale() == "linear"  # its end at 0 doesn't count


def test_many_schedules_and_no_runs():
    runs = [make_run(f"r{i}", config=TrainConfig(epochs=1, lr=0.001 * (i + 1), schedule="constant"))
            for i in range(12)]
    figure = plot_lr_schedule(runs)
    assert len([ln for ln in figure.axes[0].lines if ln.get_gid() == "schedule"]) == 12
    assert figure.legends  # outside the axes
    assert figure_bytes(figure).startswith(PNG)
    empty = plot_lr_schedule([])
    assert any(t.get_text() == "no runs" for t in empty.axes[0].texts)


def test_reconstruction_matches_rates_recorded_by_real_runs(small_search):
    """Real runs (cosine schedule, evaluated every 3 steps) recorded the rate the rebuilt schedule gives."""
    runs = sorted((small_search / "runs").iterdir())
    checked = 0
    for path in runs:
        run = load_run(path)
        _, lr = lr_schedule(run.config, points=10**9)  # every step
        for record in run.history.records:
            assert lr[record.step] == pytest.approx(record.lr, rel=1e-12, abs=1e-18), (path, record.step)
            checked += 1
    assert checked >= 8 * 4
