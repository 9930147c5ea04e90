"""`npnn export`: a run's best checkpoint as an ONNX model that ONNX Runtime (or any ONNX
consumer) runs without npnn, with what a consumer needs to prepare images in its metadata."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from npnn.cli.errors import EXIT_FAILURE, EXIT_OK
from npnn.data import CLASS_NAMES
from npnn.training.evaluation import load_best_model
from npnn.training.normalization import run_normalization
from npnn.training.recipe import describe_model
from npnn.training.run_dir import open_run_dir

INPUT_SHAPE = (1, 28, 28)  # one grey channel; the MLP flattens it, the CNN convolves it
INPUT_NAME, OUTPUT_NAME = "input", "log_probs"
PREPARATION = ("float32 (batch, 1, 28, 28): a grey 28x28 image, light garment on a black background "
               "(Fashion-MNIST's polarity), x = (pixel / 255 - mean) / std with npnn_normalization's values")


def register(commands: Any) -> None:
    parser = commands.add_parser("export", help="export a run's best model to ONNX", description=__doc__)
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a folder made by `npnn train`")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="where to write the model (default: RUN_DIR/model.onnx)")
    parser.add_argument("--opset", type=int, default=17, choices=range(17, 22), metavar="17-21",
                        help="ONNX opset version")
    parser.add_argument("--data-dir", help="folder with the Fashion-MNIST files, needed only for a run "
                        "saved before checkpoints kept their normalization (default: as trained)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from npnn.onnx import export
    except ImportError as error:  # the one boundary of the optional exporter
        print(f"error: npnn export needs the onnx package ({error}): pip install 'npnn[onnx]'")
        return EXIT_FAILURE
    model, config, metadata = load_best_model(args.run_dir)
    run_dir = open_run_dir(args.run_dir)
    normalization = run_normalization(run_dir.best, metadata, config, args.data_dir)
    output = args.output if args.output is not None else run_dir.path / "model.onnx"
    if output.is_dir():
        output = output / "model.onnx"
    accuracy = (metadata.get("evaluation") or {}).get("val_accuracy")
    properties = {
        "npnn_classes": json.dumps(list(CLASS_NAMES)),
        "npnn_normalization": json.dumps(normalization.to_dict()),
        "npnn_input": PREPARATION,
        "npnn_output": "float32 (batch, 10): log-probabilities of the classes in npnn_classes' order",
        "npnn_model": describe_model(config),
        "npnn_run": run_dir.name,
        "npnn_config": config.to_json(),
    }
    if isinstance(accuracy, float):
        properties["npnn_val_accuracy"] = f"{accuracy:.6f}"
    example = np.zeros((1, *INPUT_SHAPE), dtype=np.float32)
    export(model, example, output, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
           opset_version=args.opset, metadata=properties,
           doc_string=f"npnn {describe_model(config)} from run {run_dir.name}")
    print(f"exported {describe_model(config)} from {run_dir.path} to {output}")
    print(f"  input '{INPUT_NAME}': {PREPARATION} "
          f"(mean {normalization.mean:.6g}, std {normalization.std:.6g})")
    print(f"  output '{OUTPUT_NAME}': log-probabilities of {', '.join(CLASS_NAMES)}")
    return EXIT_OK
