"""`npnn predict`: classify your own images with a trained model.

  npnn predict RUN_DIR IMAGE...       the run's best checkpoint (a folder made by `npnn train`)
  npnn predict MODEL.onnx IMAGE...    an exported model (`npnn export`), run by ONNX Runtime
                                      (pip install 'npnn[onnx]')
  npnn predict [RUN_DIR] IMAGE... --onnx MODEL.onnx    the same as the line above

Each image (PNG, JPEG or any format Pillow opens; any size, grey or colour) is prepared as
Fashion-MNIST's pictures were: upright as its EXIF orientation says, transparent parts on white,
made grey, negated when its border is light (Fashion-MNIST shows a light garment on black, so a
photo of a dark garment on white is inverted; see --invert), trimmed to the garment (--no-trim
keeps the edges), padded to a square with the background (the aspect ratio is kept), shrunk to
28×28 (an image already 28×28 is taken as it is) and scaled as the model was trained. A file
that cannot be read is reported and skipped (exit status 1 at the end); the other images are
still classified.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from npnn.cli.errors import EXIT_FAILURE, EXIT_OK, UsageError, debugging
from npnn.data.image_file import INVERT_CHOICES, ImageFileError, PreparedImage, load_image
from npnn.training.predict import Predictor, onnx_predictor, run_predictor, top_k
from npnn.training.run_dir import is_run_dir


def register(commands: Any) -> None:
    parser = commands.add_parser("predict", help="classify your own images with a trained model",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, metavar="RUN_DIR|MODEL.onnx",
                        help="a run folder made by `npnn train`, or an ONNX file made by `npnn export`")
    parser.add_argument("images", type=Path, nargs="*", metavar="IMAGE", help="image files to classify")
    parser.add_argument("--onnx", type=Path, metavar="MODEL.onnx",
                        help="classify with this exported model in ONNX Runtime (a RUN_DIR given "
                             "before the images is then not needed, and not read)")
    parser.add_argument("--top", type=_count, default=3, metavar="K",
                        help="how many of the likeliest classes to show for each image")
    parser.add_argument("--invert", choices=INVERT_CHOICES, default="auto",
                        help="negate the grey image: auto does when the mean of its border pixels is "
                             "light (a dark garment on white, as in photos and product shots), so that "
                             "the garment is light on black as in Fashion-MNIST (default: auto)")
    parser.add_argument("--no-trim", dest="trim", action="store_false",
                        help="keep the edges around the garment (by default edges of the background's "
                             "colour are cut away, so the garment fills the picture as in Fashion-MNIST)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {image, inverted, predictions: [{class, index, "
                             "probability}]} instead of text")
    parser.add_argument("--data-dir", help="folder with the Fashion-MNIST files, needed only for a run "
                                           "saved before its checkpoint kept its pixel scaling "
                                           "(default: as trained)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.onnx is not None:
        if not is_run_dir(args.model):
            args.images = [args.model, *args.images]
        args.model = args.onnx
    if not args.images:
        raise UsageError(f"no IMAGE to classify: give image files after {args.model}")
    predictor = _predictor(args.model, args.data_dir)
    names, images = [], []
    for path in args.images:
        try:
            images.append(load_image(path, args.invert, args.trim))
        except ImageFileError as error:
            _report_unread(args, error)
            continue
        names.append(str(path))
    ranked = _rank(predictor, images, args.top)
    if args.json:
        print(json.dumps(_records(predictor, names, images, ranked), indent=2))
    else:
        print_predictions(predictor.classes, names, ranked)
    unread = len(args.images) - len(images)
    if unread and len(args.images) > 1:
        print(f"npnn predict: {unread} of {len(args.images)} images could not be read (see above)",
              file=sys.stderr)
    return EXIT_FAILURE if unread else EXIT_OK


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _predictor(model: Path, data_dir: str | None) -> Predictor:
    """A folder is a run; a file (or a missing *.onnx path) an exported ONNX model."""
    if model.is_dir() or not (model.is_file() or model.suffix.lower() == ".onnx"):
        return run_predictor(model, data_dir)
    if data_dir is not None:
        raise UsageError(f"--data-dir is for a run folder; {model} is an ONNX file, which keeps its "
                         "pixel scaling")
    return onnx_predictor(model)


def _report_unread(args: argparse.Namespace, error: ImageFileError) -> None:
    """One line on stderr, as the CLI reports an error (after its traceback with --debug)."""
    if args.debug or debugging():
        traceback.print_exc()
    print(f"npnn predict: error: {error}", file=sys.stderr)


def _rank(predictor: Predictor, images: list[PreparedImage], top: int) -> list[list[tuple[int, float]]]:
    if not images:
        return []
    probabilities = predictor.probabilities(np.stack([image.pixels for image in images]))
    return top_k(probabilities, min(top, len(predictor.classes)))


def _records(predictor: Predictor, names: list[str], images: list[PreparedImage],
             ranked: list[list[tuple[int, float]]]) -> list[dict[str, Any]]:
    return [{"image": name, "inverted": image.inverted,
             "predictions": [{"class": predictor.classes[index], "index": index, "probability": probability}
                             for index, probability in best]}
            for name, image, best in zip(names, images, ranked, strict=True)]


def print_predictions(classes: tuple[str, ...], names: list[str],
                      ranked: list[list[tuple[int, float]]]) -> None:
    """One image: `shirt.png: Shirt 71.2%, T-shirt/top 20.1%, Pullover 5.3%`. Several: a table,
    one row per image and one column per rank."""
    cells = [[f"{classes[index]} {probability:.1%}" for index, probability in best] for best in ranked]
    if len(names) == 1:
        print(f"{names[0]}: {', '.join(cells[0])}")
        return
    if not names:
        return
    header = ["image", *(_ordinal(rank) for rank in range(1, len(cells[0]) + 1))]
    rows = [header, *([name, *row] for name, row in zip(names, cells, strict=True))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _ordinal(rank: int) -> str:
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"
