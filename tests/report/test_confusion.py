"""Confusion matrix, mistakes gallery and per-class table; predictions of a real (tiny) trained run."""

import argparse
import json
import math
import shutil

import numpy as np
import pytest

from npnn.cli.plot_figures import _confusion
from npnn.report.confusion import per_class_table, plot_confusion, plot_misclassified, sample_mistakes
from npnn.report.document import Report
from npnn.report.figures import figure_bytes
from npnn.report.model_sections import test_section as build_test_section
from npnn.report.predictions import TestPredictions, predict_test, test_report
from npnn.report.sources import load_run
from npnn.training import evaluation, metrics
from npnn.training.config import TrainConfig
from npnn.training.evaluation import evaluate_run
from npnn.training.metrics import confusion_matrix
from npnn.training.trainer import Trainer

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["Shirt", "T-shirt/top", "Bag"]
MATRIX = [[5, 3, 0],
          [2, 7, 1],
          [0, 0, 4]]


def _report(matrix=MATRIX, names=NAMES):
    m = np.array(matrix)
    totals = m.sum(axis=1)
    return {
        "split": "test",
        "accuracy": float(np.trace(m) / m.sum()),
        "examples": int(m.sum()),
        "classes": list(names),
        "confusion_matrix": m.tolist(),
        "per_class_accuracy": {n: (float(m[i, i] / totals[i]) if totals[i] else float("nan"))
                               for i, n in enumerate(names)},
    }


def _axes(figure):
    """(matrix, colorbar, bars) axes of a confusion figure."""
    matrix = next(ax for ax in figure.axes if ax.images)
    bars = next(ax for ax in figure.axes if ax.patches)
    colorbar = next(ax for ax in figure.axes if ax not in (matrix, bars))
    return matrix, colorbar, bars


def test_confusion_figure_shows_counts_percent_and_per_class_accuracy():
    report = _report()
    figure = plot_confusion(report, title="run-7")
    assert len(figure.axes) == 3
    matrix, colorbar, bars = _axes(figure)
    counts = [int(t.get_text()) for t in matrix.texts]
    assert counts == np.array(MATRIX).ravel().tolist()  # row by row, every cell
    expected_percent = 100 * np.array(MATRIX) / np.array(MATRIX).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(matrix.images[0].get_array(), expected_percent)
    assert [t.get_text() for t in matrix.get_xticklabels()] == NAMES
    assert [t.get_text() for t in matrix.get_yticklabels()] == NAMES
    assert all(t.get_rotation() > 0 for t in matrix.get_xticklabels())
    assert matrix.get_xlabel() == "predicted class" and matrix.get_ylabel() == "true class"
    assert colorbar.get_ylabel() == "% of true class"

    widths = [p.get_width() for p in bars.patches]
    np.testing.assert_allclose(widths, [100 * 5 / 8, 100 * 7 / 10, 100.0])
    assert [t.get_text() for t in bars.get_yticklabels()] == NAMES
    assert bars.get_xlabel() == "per-class accuracy (%)"
    overall = bars.lines[0].get_xdata()[0]
    assert overall == pytest.approx(100 * 16 / 22)
    assert figure.get_suptitle() == "run-7: Test accuracy 72.73% on 22 images"
    assert figure_bytes(figure).startswith(PNG)


def test_confusion_figure_tolerates_a_class_without_examples():
    report = _report([[3, 1, 0], [0, 0, 0], [1, 0, 2]])
    figure = plot_confusion(report)
    _, _, bars = _axes(figure)
    assert [p.get_width() for p in bars.patches][1] == 0.0
    assert "no examples" in [t.get_text() for t in bars.texts]
    assert figure.get_suptitle().startswith("Test accuracy 71.43%")
    assert figure_bytes(figure).startswith(PNG)


def test_confusion_rejects_a_matrix_that_does_not_fit_the_classes():
    with pytest.raises(ValueError, match="2 classes"):
        plot_confusion(_report(names=NAMES[:2]))


def test_per_class_table_names_the_most_common_confusion():
    rows = per_class_table(_report([[5, 3, 0], [2, 7, 2], [0, 0, 4]]))
    assert [r["class"] for r in rows] == NAMES
    assert [(r["examples"], r["correct"]) for r in rows] == [(8, 5), (11, 7), (4, 4)]
    assert rows[0]["accuracy"] == pytest.approx(62.5)
    assert rows[0]["confusion"] == "Shirt → T-shirt/top (3)"
    assert rows[1]["confusion"] == "T-shirt/top → Shirt (2)"  # a tie goes to the first class
    assert rows[2]["confusion"] == "none" and rows[2]["confused_with"] is None


def test_per_class_table_without_examples_has_no_accuracy():
    rows = per_class_table(_report([[1, 0, 0], [0, 0, 0], [0, 0, 1]]))
    assert rows[1]["accuracy"] is None and rows[1]["examples"] == 0


def _predictions(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    predictions = np.where(rng.random(n) < 0.5, labels, (labels + rng.integers(1, 3, n)) % 3)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    return TestPredictions(images, labels, predictions, rng.uniform(0.34, 1.0, n), list(NAMES))


def test_mistake_sample_is_misclassified_spread_over_classes_and_most_confident_first():
    p = _predictions()
    wrong = set(np.flatnonzero(p.predictions != p.labels).tolist())
    chosen = sample_mistakes(p, 9)
    assert len(chosen) == 9 and len(set(chosen.tolist())) == 9
    assert set(chosen.tolist()) <= wrong
    assert [p.labels[i] for i in chosen[:3]] == [0, 1, 2]  # round-robin over true classes
    for label in range(3):
        mine = [i for i in chosen if p.labels[i] == label]
        assert mine == sorted(mine, key=lambda i: -p.confidence[i])
        best = max((i for i in wrong if p.labels[i] == label), key=lambda i: p.confidence[i])
        assert mine[0] == best
    np.testing.assert_array_equal(chosen, sample_mistakes(p, 9))
    assert set(sample_mistakes(p, 1000).tolist()) == wrong  # all of them when asked for more


def test_misclassified_gallery_shows_the_sampled_images_with_their_labels():
    p = _predictions()
    chosen = sample_mistakes(p, 8)
    figure = plot_misclassified(p, count=8, title="run-7")
    shown = [ax for ax in figure.axes if ax.images]
    assert len(shown) == 8
    for ax, index in zip(shown, chosen, strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), p.images[index])
        truth, guess = NAMES[p.labels[index]], NAMES[p.predictions[index]]
        assert ax.get_title().startswith(f"true: {truth}\npred: {guess} (")
        assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0
    wrong = int((p.predictions != p.labels).sum())
    assert f"{wrong:,} of 60" in figure.get_suptitle() and figure.get_suptitle().startswith("run-7")
    assert figure_bytes(figure).startswith(PNG)


def test_misclassified_gallery_without_mistakes_says_so():
    p = _predictions()
    p.predictions = p.labels.copy()
    figure = plot_misclassified(p)
    assert not any(ax.images for ax in figure.axes)
    assert "no misclassified images" in figure.axes[0].texts[0].get_text()
    assert figure_bytes(figure).startswith(PNG)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A real one-epoch run on 2,000 training images."""
    out = tmp_path_factory.mktemp("runs")
    trainer = Trainer.create(TrainConfig(hidden=[32], epochs=1, train_subset=2000), out=out, run_id="tiny")
    trainer.fit()
    return out / "tiny"


def test_predictions_of_a_real_run_agree_with_its_test_evaluation(tiny_run):
    run = load_run(tiny_run)
    assert run.test is None
    report = test_report(run)  # evaluates now and writes test.json
    assert (tiny_run / "test.json").exists() and run.test is report
    assert json.loads((tiny_run / "test.json").read_text())["accuracy"] == report["accuracy"]
    assert test_report(load_run(tiny_run)) == json.loads(json.dumps(report))  # read back, not recomputed

    p = predict_test(load_run(tiny_run))
    assert p.images.shape == (10000, 28, 28) and p.images.dtype == np.uint8
    assert p.images.max() == 255 and p.images.min() == 0  # the stored bytes, not standardized floats
    assert p.accuracy == report["accuracy"] == evaluate_run(tiny_run, "test")["accuracy"]
    np.testing.assert_array_equal(confusion_matrix(p.labels, p.predictions, 10), report["confusion_matrix"])
    assert np.all((p.confidence > 0) & (p.confidence <= 1))
    assert np.all(p.confidence >= 0.1 - 1e-6)  # the argmax of 10 probabilities
    assert p.class_names == report["classes"] and not math.isnan(p.accuracy)


def test_a_report_and_the_confusion_plots_evaluate_the_test_split_once(tiny_run, tmp_path, monkeypatch):
    """The report's test section and `npnn plot confusion` need the metrics and every prediction:
    one evaluation gives both, with test.json missing (then written as `npnn test` writes it) or not."""
    path = tmp_path / "tiny"
    shutil.copytree(tiny_run, path, ignore=shutil.ignore_patterns("test.json"))
    evaluated = []
    real_evaluate = evaluation.evaluate

    def counting_evaluate(model, images, labels, *args, **kwargs):
        evaluated.append(len(labels))
        return real_evaluate(model, images, labels, *args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate", counting_evaluate)
    monkeypatch.setattr(metrics, "evaluate", counting_evaluate)  # for a caller that imports it late
    section = build_test_section(Report("r", ""), load_run(path), "Best", None, lambda line: None)
    assert evaluated == [10000]
    assert {"confusion", "misclassified"} <= {getattr(block, "name", None) for block in section.blocks}
    written = (path / "test.json").read_text()
    assert json.loads(written) == json.loads(json.dumps(evaluate_run(path, "test")))  # as `npnn test`
    assert (path / "test.json").read_text() == written  # byte for byte

    for stored in (False, True):  # without test.json, then with it
        if not stored:
            (path / "test.json").unlink()
        evaluated.clear()
        figures = dict(_confusion([path], argparse.Namespace(data_dir=None)))
        assert evaluated == [10000] and set(figures) == {"confusion", "misclassified"}
        assert (path / "test.json").read_text() == written
