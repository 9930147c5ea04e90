"""CI installs every optional tool the tests compare against or run files in; there, a test that
would skip for want of one must fail instead (the variables are set by .ci/run)."""

import importlib
import os

import pytest

REQUIRED = {
    "NPNN_REQUIRE_ONNX": ("onnx", "onnxruntime"),  # the ONNX export and predict tests
    "NPNN_REQUIRE_TORCH": ("torch",),  # parity with PyTorch, reading its .pth files
    "NPNN_REQUIRE_NOTEBOOK": ("nbclient", "nbformat", "ipykernel"),  # running examples/report.ipynb
}


@pytest.mark.parametrize("variable", REQUIRED)
def test_tools_ci_requires_are_installed(variable):
    if not os.environ.get(variable):
        pytest.skip(f"{variable} is not set: the tests that need {' and '.join(REQUIRED[variable])} "
                    "may skip here (CI sets it)")
    for name in REQUIRED[variable]:
        try:
            importlib.import_module(name)
        except ImportError as error:
            pytest.fail(f"{variable} is set but {name} does not import ({error}): scripts/setup "
                        "installs it with the test extras")
