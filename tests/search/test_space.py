"""Search spaces from TOML files: parsed, validated, with clear errors."""

import pytest

from npnn.search import SpaceError, load_space


def test_toml_space_with_tables_ranges_and_fixed_settings(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text('''
sampler = "random"
[fixed]
epochs = 2
[params.layout]
choices = [{hidden = [64], batch_size = 32}, {hidden = [32, 16], batch_size = 64}]
[params.lr]
low = 1e-4
high = 1e-2
log = true
[params.dropout]
low = 0.0
high = 0.5
step = 0.25
''')
    space = load_space(str(path))
    assert space.sampler == "random"
    config = space.config({"layout": space.params[0].labels()[1], "lr": 0.001, "dropout": 0.25})
    assert (config.hidden, config.batch_size, config.lr, config.epochs) == ([32, 16], 64, 0.001, 2)
    assert space.params[2].labels() == [0.0, 0.25, 0.5]


@pytest.mark.parametrize("text, message", [
    ("[params.hiden]\nchoices = [[1]]", "not a TrainConfig field"),
    ("[params.lr]\nlow = 1.0\nhigh = 0.1", "low"),
    ("[params.lr]\nchoices = []", "empty"),
    ("[fixed]\nepochz = 3", "not a TrainConfig field"),
    ("[fixed]\nlr = -1.0\n[params.dropout]\nchoices = [0.1]", "invalid"),
    ("[params.lr]\nlow = 0.0\nhigh = 1.0\nlog = true", "log range"),
    ("bogus = 1", "unknown top-level key"),
    ("[params", "not valid TOML"),
])
def test_bad_spaces_are_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SpaceError, match=message):
        load_space(str(path))
