"""Every change made to a tutorial's published code, in one place.

Besides the import lines (in the files themselves; `tutorial_models` stands in for
torchvision.models: npnn has no model zoo, and ResNet-18's pretrained weights are a download):

- `SHORTER` runs fewer epochs (the datasets are also cut to 640/320 images, in conftest), in npnn
  and torch runs alike.
- `PROSE_CODE`: the code a tutorial shows only in its prose (`# .. code:: python`) runs after
  its own code, so that it is checked too; the file keeps it as the comment it is.
- `ABSENT_MODULES`: modules a tutorial imports that this environment lacks get stand-ins that
  the tutorial never needs: "What is torch.nn really?" imports `requests` to download MNIST (the
  test writes the tutorial's pickle first, from the real images: `porting.write_mnist_pickle`,
  so the download branch is skipped) and IPython's `set_trace` (its call is commented out).
- `WHOLE_MODEL`: "Save and Load the Model" pickles the whole model, which npnn refuses.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, NoReturn

from porting import npnn_source, prose_code, replace_lines

TUTORIALS = ["quickstart_tutorial", "tensorqs_tutorial", "data_tutorial", "transforms_tutorial",
             "buildmodel_tutorial", "autogradqs_tutorial", "optimization_tutorial",
             "saveloadrun_tutorial",
             # "Deep Learning with PyTorch: A 60 Minute Blitz" and "What is torch.nn really?"
             "tensor_tutorial", "autograd_tutorial", "neural_networks_tutorial", "nn_tutorial"]

# fewer epochs on the subset: the only change to a tutorial's own lines, in npnn and torch runs alike
SHORTER = {
    "quickstart_tutorial": {"epochs = 5": "epochs = 2"},  # 2 x 10 SGD steps: the test loss falls
    "optimization_tutorial": {"epochs = 10": "epochs = 2"},  # the same
}

# the prose's code blocks that run, by their first line: the manual SGD update and the torch.optim
# training step (its first block, `weight = weight - learning_rate * gradient`, is a formula)
PROSE_CODE = {"neural_networks_tutorial": ["learning_rate = 0.01", "import npnn.optim as optim"]}

# "What is torch.nn really?" reads this file (its own format) instead of downloading it
MNIST_PICKLE = {"nn_tutorial": "data/mnist/mnist.pkl.gz"}

# "Save and Load the Model" saves the whole model with pickle; npnn refuses (no pickle, by design)
WHOLE_MODEL = "torch.save(model, 'model.pth')"


def tutorial(name: str) -> str:
    """The tutorial's code as npnn runs it here: shortened, its prose's code appended."""
    source = replace_lines(npnn_source(name), SHORTER.get(name, {}))
    if name in PROSE_CODE:
        source += "\n" + prose_code(source, PROSE_CODE[name])
    return source


def before_whole_model_save(source: str) -> str:
    assert source.count(WHOLE_MODEL) == 1
    return source.split(WHOLE_MODEL)[0]


def _no_download(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError(f"the tutorial tried to download {url}: its data file was not found")


def _module(name: str, **attributes: Any) -> ModuleType:
    module = ModuleType(name)
    module.__dict__.update(attributes)
    return module


# not installed here, and not needed by the code that runs (see the docstring)
ABSENT_MODULES = {
    "requests": _module("requests", get=_no_download),
    # matplotlib asks an imported IPython for its version and shell: a recent one, no shell
    "IPython": _module("IPython", version_info=(8, 24), get_ipython=lambda: None),
    "IPython.core": _module("IPython.core"),
    "IPython.core.debugger": _module("IPython.core.debugger", set_trace=lambda: None),
}
