"""`npnn predict` on real Fashion-MNIST pictures saved as image files: a trained run predicts them
as its model predicts the same test rows, photo-like versions (inverted, scaled up, JPEG) alike;
the same model in an ONNX file (built here by hand, as `npnn export` writes it) gives the same
probabilities; an unreadable file or model is one line."""

import json
import re
import sys

import numpy as np
import pytest
from PIL import Image

from npnn.cli import main
from npnn.data import CLASS_NAMES, locate, read_idx
from npnn.training import TrainConfig, Trainer
from npnn.training.evaluation import evaluate_best, load_best_model

ROWS = 60  # the first test images, from which the tests pick


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_data):
    config = TrainConfig(hidden=[64], epochs=2, batch_size=100, train_subset=2000, eval_every=0, seed=3)
    folder = tmp_path_factory.mktemp("predict")
    Trainer.create(config, folder, run_id="mlp", data=small_data).fit()
    return folder / "mlp"


@pytest.fixture(scope="module")
def test_rows(run):
    """The first test images as bytes (light on black) with their labels, and what the model
    predicts for them with its probability, by the evaluation `npnn test` runs."""
    files = locate().files
    images, labels = read_idx(files["test_images"])[:ROWS], read_idx(files["test_labels"])[:ROWS]
    evaluation = evaluate_best(run, "test").evaluation
    return images, labels, evaluation.predictions[:ROWS], evaluation.confidence[:ROWS]


def _pngs(folder, images):
    paths = []
    for index, image in enumerate(images):
        paths.append(folder / f"test-{index}.png")
        Image.fromarray(image).save(paths[-1])
    return paths


def _predict_json(capsys, *args):
    status = main(["predict", *map(str, args), "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def test_test_images_as_png_are_predicted_as_the_model_predicts_them(run, test_rows, tmp_path, capsys):
    images, labels, predicted, confidence = test_rows
    paths = _pngs(tmp_path, images[:12])
    status, records, err = _predict_json(capsys, run, *paths)
    assert (status, err) == (0, "")
    assert [record["image"] for record in records] == list(map(str, paths))
    for index, record in enumerate(records):
        best = record["predictions"]
        assert len(best) == 3 and not record["inverted"]
        assert best[0]["index"] == predicted[index] and best[0]["class"] == CLASS_NAMES[predicted[index]]
        assert best[0]["probability"] == pytest.approx(confidence[index], rel=1e-6)
        probabilities = [entry["probability"] for entry in best]
        assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1 + 1e-9
        assert (best[0]["index"] == labels[index]) == (predicted[index] == labels[index])
    assert np.mean(predicted[:12] == labels[:12]) > 0.6  # the model learned: most are their label


def test_a_cnn_run_predicts_its_test_images_as_its_evaluation(small_data, tmp_path, capsys):
    config = TrainConfig(model="cnn", channels=[4], cnn_hidden=[16], epochs=1, batch_size=100,
                         train_subset=2000, eval_every=0, lr=3e-3, seed=3)
    Trainer.create(config, tmp_path, run_id="cnn", data=small_data).fit()
    evaluation = evaluate_best(tmp_path / "cnn", "test").evaluation
    images = read_idx(locate().files["test_images"])[:6]
    status, records, _ = _predict_json(capsys, tmp_path / "cnn", *_pngs(tmp_path, images), "--top", "1")
    assert status == 0
    assert [record["predictions"][0]["index"] for record in records] == evaluation.predictions[:6].tolist()
    np.testing.assert_allclose([record["predictions"][0]["probability"] for record in records],
                               evaluation.confidence[:6], rtol=1e-6)


def test_text_output_is_a_line_for_one_image_and_a_table_for_several(run, test_rows, tmp_path, capsys):
    images, _, predicted, _ = test_rows
    paths = _pngs(tmp_path, images[:3])
    assert main(["predict", str(run), str(paths[0])]) == 0
    line = capsys.readouterr().out
    percent = r"[\w/ -]+ \d{1,3}\.\d%"
    assert re.fullmatch(rf"{re.escape(str(paths[0]))}: {percent}, {percent}, {percent}\n", line), line
    assert line.startswith(f"{paths[0]}: {CLASS_NAMES[predicted[0]]} ")
    assert main(["predict", str(run), *map(str, paths), "--top", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["image", "1st", "2nd"] and len(table) == 4
    for path, row, index in zip(paths, table[1:], predicted[:3], strict=True):
        assert row.startswith(f"{path}  ") and f" {CLASS_NAMES[index]} " in row


def test_a_photo_like_version_is_inverted_resized_and_predicted_the_same(run, test_rows, tmp_path, capsys):
    """A dark garment on white, scaled up into a 200×150 colour JPEG: auto-inverted, trimmed,
    padded square and shrunk back to 28×28, it is the class the model gives the test row."""
    images, labels, predicted, confidence = test_rows
    sure = np.flatnonzero((confidence > 0.9) & (predicted == labels))[:4]
    assert len(sure) >= 2, "too few confidently right test images to compare"
    paths = []
    for index in sure:
        garment = Image.fromarray(255 - images[index]).resize((150, 150), Image.Resampling.BICUBIC)
        photo = Image.new("RGB", (200, 150), "white")
        photo.paste(garment.convert("RGB"), (25, 0))
        paths.append(tmp_path / f"photo-{index}.jpg")
        photo.save(paths[-1], quality=95)
    status, records, _ = _predict_json(capsys, run, *paths, "--top", "1")
    assert status == 0
    assert [record["inverted"] for record in records] == [True] * len(sure)
    assert [record["predictions"][0]["index"] for record in records] == predicted[sure].tolist()
    status, kept, _ = _predict_json(capsys, run, paths[0], "--invert", "no")
    assert not kept[0]["inverted"]


def test_unreadable_files_are_one_line_each_and_the_others_are_predicted(run, test_rows, tmp_path, capsys):
    images, _, predicted, _ = test_rows
    good = _pngs(tmp_path, images[:2])
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    missing = tmp_path / "missing.png"
    status = main(["predict", str(run), str(good[0]), str(notes), str(missing), str(good[1])])
    captured = capsys.readouterr()
    assert status == 1 and "Traceback" not in captured.err
    assert captured.err.splitlines() == [
        f"npnn predict: error: {notes}: not an image file Pillow can read; pass a PNG or JPEG image "
        "(or any format Pillow opens)",
        f"npnn predict: error: {missing}: no such file; check the path",
        "npnn predict: 2 of 4 images could not be read (see above)",
    ]
    rows = captured.out.splitlines()[1:]
    assert [row.split()[:2] for row in rows] == [[str(path), CLASS_NAMES[index].split()[0]]
                                                 for path, index in zip(good, predicted[:2], strict=True)]


@pytest.mark.parametrize("top", ["0", "two"])
def test_a_bad_top_exits_2(run, tmp_path, capsys, top):
    with pytest.raises(SystemExit) as caught:
        main(["predict", str(run), str(tmp_path / "a.png"), "--top", top])
    assert caught.value.code == 2 and "--top" in capsys.readouterr().err


def test_without_onnx_runtime_an_onnx_file_asks_for_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ImportError
    (tmp_path / "model.onnx").write_bytes(b"")
    assert main(["predict", str(tmp_path / "model.onnx"), str(tmp_path / "a.png")]) == 1
    assert capsys.readouterr().err == (f"npnn predict: error: predicting with {tmp_path / 'model.onnx'} "
                                       "needs ONNX Runtime: pip install 'npnn[onnx]'\n")


def _onnx_by_hand(run, path, metadata=True, log_softmax=True):
    """The run's MLP (Linear, ReLU, Linear, LogSoftmax; dropout is off in eval) as ONNX, with the
    contract of `npnn export`: input "input" (batch, 1, 28, 28), output "log_probs" (batch, 10).
    `metadata`: True for npnn's, False for none, or a dict of metadata_props to use instead."""
    onnx = pytest.importorskip("onnx", reason="the ONNX tests build a model with onnx (npnn[onnx])")
    from onnx import TensorProto, helper, numpy_helper

    model, _, checkpoint = load_best_model(run)
    state = {name: tensor.numpy() for name, tensor in model.state_dict().items()}
    nodes = [helper.make_node("Flatten", ["input"], ["flat"], axis=1),
             helper.make_node("Gemm", ["flat", "layers.0.weight", "layers.0.bias"], ["hidden"], transB=1),
             helper.make_node("Relu", ["hidden"], ["active"]),
             helper.make_node("Gemm", ["active", "layers.3.weight", "layers.3.bias"], ["logits"], transB=1),
             helper.make_node("LogSoftmax" if log_softmax else "Identity", ["logits"], ["log_probs"],
                              **({"axis": 1} if log_softmax else {}))]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("log_probs", TensorProto.FLOAT, ["batch", 10])],
        [numpy_helper.from_array(array, name) for name, array in state.items()])
    exported = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    if metadata is True:
        metadata = {"npnn_classes": json.dumps(list(CLASS_NAMES)),
                    "npnn_normalization": json.dumps(checkpoint["normalization"])}
    if metadata:
        helper.set_model_props(exported, metadata)
    onnx.checker.check_model(exported)
    onnx.save(exported, path)
    return path


def test_an_onnx_file_gives_the_probabilities_of_the_run(run, test_rows, tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="predicting with an ONNX file needs onnxruntime (npnn[onnx])")
    onnx_file = _onnx_by_hand(run, tmp_path / "mlp.onnx")
    paths = _pngs(tmp_path, test_rows[0][:8])
    status, from_run, _ = _predict_json(capsys, run, *paths, "--top", "10")
    assert status == 0
    status, from_onnx, err = _predict_json(capsys, onnx_file, *paths, "--top", "10")
    assert (status, err) == (0, "")
    for ours, theirs in zip(from_run, from_onnx, strict=True):
        assert ours["image"] == theirs["image"]
        assert [p["index"] for p in ours["predictions"]] == [p["index"] for p in theirs["predictions"]]
        np.testing.assert_allclose([p["probability"] for p in theirs["predictions"]],
                                   [p["probability"] for p in ours["predictions"]], atol=1e-5)


def test_an_onnx_file_without_npnn_metadata_is_one_line(run, tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="predicting with an ONNX file needs onnxruntime (npnn[onnx])")
    onnx_file = _onnx_by_hand(run, tmp_path / "bare.onnx", metadata=False)
    Image.new("L", (28, 28)).save(tmp_path / "a.png")
    assert main(["predict", str(onnx_file), str(tmp_path / "a.png")]) == 1
    err = capsys.readouterr().err
    assert err == (f"npnn predict: error: {onnx_file} has no npnn_classes or npnn_normalization in its "
                   "metadata, so its classes and pixel scaling are unknown; export it with `npnn export`\n")


@pytest.mark.parametrize(("metadata", "log_softmax", "expected"), [
    ({"npnn_classes": '["Cat", "Dog"]', "npnn_normalization": '{"name": "unit", "mean": 0, "std": 1}'},
     True, "its output has shape (1, 10), expected (1, 2)"),
    ({"npnn_classes": json.dumps(CLASS_NAMES), "npnn_normalization": '{"name": "unit", "mean": 0, "std": 0}'},
     True, "npnn_normalization needs a name (unit, standardize), a finite mean and a positive std"),
    ({"npnn_classes": "Cat", "npnn_normalization": "{}"}, True, "damaged npnn metadata"),
    (True, False, "its output is not log-probabilities"),
])
def test_an_onnx_file_that_breaks_the_contract_is_one_line(run, tmp_path, capsys, metadata, log_softmax,
                                                           expected):
    pytest.importorskip("onnxruntime", reason="predicting with an ONNX file needs onnxruntime (npnn[onnx])")
    onnx_file = _onnx_by_hand(run, tmp_path / "odd.onnx", metadata, log_softmax)
    Image.new("L", (28, 28)).save(tmp_path / "a.png")
    assert main(["predict", str(onnx_file), str(tmp_path / "a.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"npnn predict: error: {onnx_file}") and expected in err


def test_an_image_where_the_model_belongs_is_one_line(tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="a file given as the model is opened with onnxruntime")
    for name in ("a.png", "b.png"):
        Image.new("L", (28, 28)).save(tmp_path / name)
    assert main(["predict", str(tmp_path / "a.png"), str(tmp_path / "b.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is neither a run folder nor an ONNX model" in err


def test_data_dir_with_an_onnx_file_exits_2(tmp_path, capsys):
    (tmp_path / "m.onnx").write_bytes(b"")
    assert main(["predict", str(tmp_path / "m.onnx"), "a.png", "--data-dir", str(tmp_path)]) == 2
    assert "--data-dir is for a run folder" in capsys.readouterr().err


def test_npnn_export_then_predict_with_onnx_gives_the_run_s_predictions(run, test_rows, tmp_path, capsys):
    pytest.importorskip("onnx", reason="exporting needs the onnx package (npnn[onnx])")
    pytest.importorskip("onnxruntime", reason="predicting with an ONNX file needs onnxruntime (npnn[onnx])")
    model = tmp_path / "model.onnx"
    assert main(["export", str(run), "-o", str(model)]) == 0
    images, labels, predicted, _ = test_rows
    right = [i for i in range(ROWS) if predicted[i] == labels[i]][:6]
    paths = _pngs(tmp_path, images[right])
    capsys.readouterr()
    status, from_run, _ = _predict_json(capsys, run, *paths, "--top", "10")
    for args in ([run, *paths, "--onnx", model], [*paths, "--onnx", model], [model, *paths]):
        status, from_onnx, err = _predict_json(capsys, *args, "--top", "10")
        assert (status, err) == (0, "")
        assert [r["predictions"][0]["class"] for r in from_onnx] == [CLASS_NAMES[labels[i]] for i in right]
        for ours, theirs in zip(from_run, from_onnx, strict=True):
            np.testing.assert_allclose([p["probability"] for p in theirs["predictions"]],
                                       [p["probability"] for p in ours["predictions"]], atol=1e-5)
    assert main(["predict", str(run), "--onnx", str(model)]) == 2
    assert "no IMAGE to classify" in capsys.readouterr().err
