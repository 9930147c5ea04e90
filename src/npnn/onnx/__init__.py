"""Export to ONNX: `npnn.onnx.export(model, example_input, "model.onnx")`, as torch.onnx.export.

Needs the `onnx` package (`pip install 'npnn[onnx]'`, which also installs ONNX Runtime to run
the file); `import npnn` does not load it, `npnn.onnx` does.
"""

from npnn.onnx.export import export
from npnn.onnx.graph import OnnxExportError

__all__ = ["OnnxExportError", "export"]
