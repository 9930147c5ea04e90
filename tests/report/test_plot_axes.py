"""Every plot function of npnn.report draws into Axes it is given (as the original's viz_*
functions did) and returns their figure; without Axes it makes a figure of its own."""

import inspect

import numpy as np
import pytest
from matplotlib.figure import Figure

import npnn.report as report
from npnn.data import load_fashion_mnist
from npnn.report.predictions import test_results
from npnn.training import TrainConfig, Trainer

CNN = TrainConfig(model="cnn", channels=[6, 4], cnn_hidden=[16], epochs=1, batch_size=100, train_subset=300)


@pytest.fixture(scope="module")
def sources(small_search, tmp_path_factory):
    """What each plot draws from: a real search, two of its runs, a best checkpoint, a test
    evaluation and a CNN's feature maps of one test image."""
    search = report.load_search(small_search)
    runs = [report.load_run(t.run_dir) for t in search.best(top=2)]
    data = (load_fashion_mnist("train", subset=300), load_fashion_mnist("val", subset=500))
    out = tmp_path_factory.mktemp("cnn")
    Trainer.create(CNN, out, run_id="cnn", data=data).fit()
    cnn = report.load_run(out / "cnn")
    layouts, lrs = len({t.layout for t in search.complete}), len({t.lr for t in search.complete})
    state = report.load_best_state(runs[0])
    tested, predictions = test_results(runs[0])
    return {
        "plot_training_curves": ((runs,), len(runs), "axes"),
        "plot_training_curve": ((runs[0],), 1, "ax"),
        "plot_lr_schedule": ((runs,), 1, "ax"),
        "plot_search_heatmap": ((search,), layouts, "ax"),
        "plot_accuracy_vs_lr": ((search,), layouts, "ax"),
        "plot_accuracy_vs_strength": ((search,), layouts * lrs, "ax"),
        "plot_first_layer_templates": ((report.first_weight(state),), 1, "ax"),
        "plot_first_layer_filters": ((report.first_weight(report.load_best_state(cnn)),), 1, "ax"),
        "plot_parameter_matrices": ((state,), sum(np.ndim(v) >= 2 for v in state.values()), "ax"),
        "plot_confusion": ((tested,), 2, "ax"),
        "plot_misclassified": ((predictions,), 6, "ax"),
        "plot_feature_maps": ((report.first_test_sample(cnn),), 1 + len(CNN.channels), "ax"),
    }


def _drawn(ax) -> int:
    return len(ax.images) + len(ax.lines) + len(ax.collections) + len(ax.patches) + len(ax.texts)


def test_every_plot_function_is_public_and_documented():
    for name in report.PLOTS:
        function = getattr(report, name)
        assert name in report.__all__
        doc = function.__doc__ or ""
        assert "`ax`" in doc or "`axes`" in doc, f"{name}: its docstring should say what `ax` takes"
        assert {"ax", "axes"} & set(inspect.signature(function).parameters), name


@pytest.mark.parametrize("name", report.PLOTS)
def test_plot_draws_into_the_axes_given(name, sources):
    args, needed, keyword = sources[name]
    figure = Figure()
    axes = figure.subplots(1, needed, squeeze=False).ravel()
    before = [_drawn(ax) for ax in axes]
    returned = getattr(report, name)(*args, **{keyword: axes if needed > 1 else axes[0]})
    returned = returned[0] if isinstance(returned, list) else returned
    assert returned is figure
    assert all(_drawn(ax) > count for ax, count in zip(axes, before, strict=True)), \
        f"{name}: {[_drawn(ax) for ax in axes]} artists in the Axes given, {before} before"


@pytest.mark.parametrize("name", report.PLOTS)
def test_plot_without_axes_makes_its_own_figure(name, sources):
    args, _, _ = sources[name]
    returned = getattr(report, name)(*args)
    for figure in returned if isinstance(returned, list) else [returned]:
        assert isinstance(figure, Figure) and figure.axes


MULTI_PANEL = ["plot_training_curves", "plot_search_heatmap", "plot_accuracy_vs_lr",
               "plot_accuracy_vs_strength", "plot_parameter_matrices", "plot_feature_maps"]


@pytest.mark.parametrize("name", MULTI_PANEL)
def test_too_few_axes_is_an_error_that_says_how_many(name, sources):
    args, needed, keyword = sources[name]
    assert needed >= 2, f"{name} should draw several panels from these sources"
    axes = Figure().subplots(1, needed - 1, squeeze=False).ravel()
    with pytest.raises(ValueError, match=f"pass at least {needed}"):
        getattr(report, name)(*args, **{keyword: axes})
