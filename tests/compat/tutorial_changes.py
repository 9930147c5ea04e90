"""Every change made to a tutorial's published code, in one place.

Besides the import lines (in the files themselves), one kind: `SHORTER` runs fewer epochs (the
datasets are also cut to 640/320 images, in conftest), in npnn and torch runs alike.
"""

from __future__ import annotations

from porting import npnn_source, replace_lines

TUTORIALS = ["quickstart_tutorial", "tensorqs_tutorial", "data_tutorial", "transforms_tutorial",
             "buildmodel_tutorial", "autogradqs_tutorial", "optimization_tutorial",
             "saveloadrun_tutorial"]

# fewer epochs on the subset: the only change to a tutorial's own lines, in npnn and torch runs alike
SHORTER = {
    "quickstart_tutorial": {"epochs = 5": "epochs = 2"},  # 2 x 10 SGD steps: the test loss falls
    "optimization_tutorial": {"epochs = 10": "epochs = 2"},  # the same
}

# "Save and Load the Model" saves the whole model with pickle; npnn refuses (no pickle, by design)
WHOLE_MODEL = "torch.save(model, 'model.pth')"


def tutorial(name: str) -> str:
    """The tutorial's code as npnn runs it here: shortened."""
    return replace_lines(npnn_source(name), SHORTER.get(name, {}))


def before_whole_model_save(source: str) -> str:
    assert source.count(WHOLE_MODEL) == 1
    return source.split(WHOLE_MODEL)[0]
