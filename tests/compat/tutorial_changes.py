"""Every change made to a tutorial's published code, in one place.

Besides the import lines (in the files themselves), two kinds: `SHORTER` runs fewer epochs (the
datasets are also cut to 640/320 images, in conftest), in npnn and torch runs alike; `STAND_INS`
replaces the lines that need a core feature still being built, so the rest runs meanwhile. The
verbatim run of a tutorial in `NEEDS` is a strict xfail until its feature lands.
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

ACCELERATOR = ('device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() '
               'else "cpu"')
STAND_INS = {  # line -> the stand-in used until the feature lands (issue 16, in progress)
    "quickstart_tutorial": {
        ACCELERATOR: 'device = "cpu"',
        'model.load_state_dict(torch.load("model.pth", weights_only=True))':
            'model.load_state_dict(torch.load("model.pth"))',
    },
    "tensorqs_tutorial": {"if torch.accelerator.is_available():": "if False:"},
    "transforms_tutorial": {
        "target_transform=Lambda(lambda y: torch.zeros(10, dtype=torch.float)"
        ".scatter_(0, torch.tensor(y), value=1))":
            "target_transform=Lambda(lambda y: torch.nn.functional.one_hot(torch.tensor(y), 10).float())",
    },
    "buildmodel_tutorial": {
        ACCELERATOR: 'device = "cpu"',
        "X = torch.rand(1, 28, 28, device=device)": "X = torch.rand(1, 28, 28)",
    },
    "saveloadrun_tutorial": {
        "model.load_state_dict(torch.load('model_weights.pth', weights_only=True))":
            "model.load_state_dict(torch.load('model_weights.pth'))",
    },
}
NEEDS = {  # why the verbatim run fails today, and how
    "quickstart_tutorial": ("needs npnn.accelerator and npnn.load(weights_only=) (issue 16, in progress)",
                            (AttributeError, TypeError)),
    "tensorqs_tutorial": ("needs npnn.accelerator (issue 16, in progress)", AttributeError),
    "transforms_tutorial": ("needs Tensor.scatter_ (issue 16, in progress)", AttributeError),
    "buildmodel_tutorial": ("needs npnn.accelerator and device= on npnn.rand (issue 16, in progress)",
                            (AttributeError, TypeError)),
    "saveloadrun_tutorial": ("needs npnn.load(weights_only=) (issue 16, in progress)", TypeError),
}

# "Save and Load the Model" saves the whole model with pickle; npnn refuses (no pickle, by design)
WHOLE_MODEL = "torch.save(model, 'model.pth')"


def tutorial(name: str, stand_ins: bool = True) -> str:
    """The tutorial's code as npnn runs it here: shortened, and with the stand-ins if asked."""
    source = replace_lines(npnn_source(name), SHORTER.get(name, {}))
    return replace_lines(source, STAND_INS.get(name, {})) if stand_ins else source


def before_whole_model_save(source: str) -> str:
    assert source.count(WHOLE_MODEL) == 1
    return source.split(WHOLE_MODEL)[0]
