"""Sequential and ModuleList: indexing, length, iteration, append, registration."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import npnn
from npnn import nn


def layers() -> list[nn.Module]:
    return [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]


@pytest.mark.parametrize("container", [nn.Sequential, lambda mods: nn.ModuleList(mods)],
                         ids=["Sequential", "ModuleList"])
def test_indexing_len_iter_and_append(container) -> None:
    mods = layers()
    seq = container(*mods) if container is nn.Sequential else container(mods)
    assert len(seq) == 3
    assert list(seq) == mods
    assert seq[0] is mods[0] and seq[-1] is mods[2]
    assert list(seq[1:]) == mods[1:]
    assert isinstance(seq[1:], type(seq))
    with pytest.raises(IndexError):
        seq[3]
    extra = nn.Tanh()
    assert seq.append(extra) is seq
    assert len(seq) == 4 and seq[3] is extra
    assert [name for name, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_applies_modules_in_order() -> None:
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = npnn.randn(4, 2)
    expected = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).array, expected.array)


def test_sequential_from_ordered_dict_keeps_names() -> None:
    seq = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [name for name, _ in seq.named_children()] == ["hidden", "act"]
    assert seq.hidden is seq[0]
    assert list(seq.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert [name for name, _ in seq[:1].named_children()] == ["hidden"]


def test_module_list_registers_and_replaces() -> None:
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(blocks.parameters())) == 6
    replacement = nn.Linear(2, 2, bias=False)
    blocks[1] = replacement
    assert blocks[1] is replacement
    assert [name for name, _ in blocks.named_parameters()] == ["0.weight", "0.bias", "1.weight",
                                                              "2.weight", "2.bias"]
    blocks.extend([nn.ReLU()])
    assert len(blocks) == 4


def test_module_list_inside_a_module_exposes_its_parameters() -> None:
    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    assert list(Stack().state_dict()) == ["layers.0.weight", "layers.0.bias",
                                          "layers.1.weight", "layers.1.bias"]
