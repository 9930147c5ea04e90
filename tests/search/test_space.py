"""Search spaces from TOML files: parsed, validated, with clear errors."""

import re

import pytest

from npnn.search import Param, SpaceError, load_space


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


@pytest.mark.parametrize("text, message", [
    ("low = 1e-4\nhigh = 1e-2\nlog = true\nstep = 1e-3",
     r"params\.lr: give `log = true` or `step`, not both"),
    ("low = 1e-4\nhigh = inf\nstep = 1e-3", r"params\.lr: high must be a finite number, got inf"),
    ("low = nan\nhigh = 0.1", r"params\.lr: low must be a finite number, got nan"),
    ("low = 0.1\nhigh = 0.01", r"params\.lr: low \(0\.1\) must be <= high \(0\.01\)"),
    ("low = 'a'\nhigh = 0.1", r"params\.lr: low must be a finite number, got 'a'"),
    ("choices = [0.01, 'fast']", r"params\.lr: the value 'fast' is invalid"),
    ("choices = [0.01, -1.0]", r"params\.lr: the value -1\.0 is invalid"),
])
def test_bad_ranges_name_the_file_and_parameter(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(f'sampler = "grid"\n[params.lr]\n{text}\n')
    with pytest.raises(SpaceError, match=rf"^{re.escape(str(path))}: {message}"):
        load_space(str(path))


def test_a_grid_is_counted_without_listing_it(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('sampler = "grid"\n[params.lr]\nlow = 1e-12\nhigh = 1.0\nstep = 1e-300\n'
                    '[params.dropout]\nchoices = [0.0, 0.1]\n')
    space = load_space(str(path))
    assert space.params[0].count() == 10**15  # counted as "more than", never listed
    with pytest.raises(SpaceError, match=r"params\.lr: the grid has more than 1,000,000,000,000,000 points"):
        space.check_grid_size(10_000)
    assert [Param("x", low=0.0, high=1.0, step=0.25).count(), Param("x", low=1, high=10, step=3).count(),
            Param("x", low=0.1, high=0.3, step=0.1).count()] == [5, 4, 3]
    for param in (Param("lr", low=0.0, high=1.0, step=0.25), Param("lr", low=0.1, high=0.3, step=0.1)):
        assert param.count() == len(param.labels())
