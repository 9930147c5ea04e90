"""ModuleDict, ParameterList, ParameterDict and ModuleList.insert: dict/list behaviour, registration
(parameters, state_dict keys, optimizers), PyTorch's errors for misuse."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import npnn
from npnn import nn, optim


def test_module_dict_behaves_as_an_ordered_dict() -> None:
    first, second = nn.Linear(2, 3), nn.ReLU()
    d = nn.ModuleDict({"b": first, "a": second})
    assert list(d) == ["b", "a"] and list(d.keys()) == ["b", "a"]  # insertion order, not sorted
    assert d["b"] is first and "a" in d and "c" not in d and len(d) == 2
    assert list(d.values()) == [first, second] and list(d.items()) == [("b", first), ("a", second)]
    third = nn.Tanh()
    d["c"] = third
    d.update([("d", nn.Identity()), ("b", nn.Sigmoid())])
    assert list(d) == ["b", "a", "c", "d"] and isinstance(d["b"], nn.Sigmoid)
    assert d.pop("c") is third and "c" not in d
    del d["a"]
    assert list(d) == ["b", "d"]
    d.clear()
    assert len(d) == 0


def test_module_dict_registers_parameters_under_its_keys() -> None:
    model = nn.Module()
    model.layers = nn.ModuleDict(OrderedDict([("enc", nn.Linear(2, 3)), ("dec", nn.Linear(3, 2))]))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layers.enc.weight", "layers.enc.bias", "layers.dec.weight", "layers.dec.bias"]
    assert list(model.state_dict()) == names


def test_module_dict_misuse_raises_like_pytorch() -> None:
    with pytest.raises(TypeError, match=r"ModuleDict\.update should be called with an iterable"):
        nn.ModuleDict(3)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        nn.ModuleDict([("a", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="element #0 should be Iterable"):
        nn.ModuleDict([5])
    with pytest.raises(TypeError, match="needs a Module"):
        nn.ModuleDict({"a": 3})
    with pytest.raises(KeyError, match=r"contain no '\.'"):
        nn.ModuleDict({"a.b": nn.ReLU()})
    with pytest.raises(NotImplementedError):
        nn.ModuleDict({"a": nn.ReLU()})(npnn.ones(2))


def test_module_list_insert_renames_the_later_entries() -> None:
    a, b, c = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(1, 3)
    ml = nn.ModuleList([a, c])
    ml.insert(1, b)
    assert list(ml) == [a, b, c]
    assert list(ml.state_dict())[:4] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert ml.state_dict()["1.weight"].shape == (2, 1)


def test_parameter_list_indexing_and_conversion() -> None:
    plain = npnn.randn(2, 3)
    p = nn.ParameterList([plain, nn.Parameter(npnn.zeros(4))])
    assert len(p) == 2 and isinstance(p[0], nn.Parameter) and p[0].requires_grad
    np.testing.assert_array_equal(p[0].numpy(), plain.numpy())
    assert p[-1] is p[1] and p[1].shape == (4,)
    p.append(npnn.ones(1))
    p.extend([npnn.ones(5)])
    p += [npnn.ones(6)]
    assert [q.shape for q in p] == [(2, 3), (4,), (1,), (5,), (6,)]
    assert [q.shape for q in p[1:4:2]] == [(4,), (5,)] and isinstance(p[1:], nn.ParameterList)
    replacement = nn.Parameter(npnn.ones(7))
    p[0] = replacement
    assert p[0] is replacement and next(iter(p.parameters())) is replacement
    assert [name for name, _ in p.named_parameters()] == ["0", "1", "2", "3", "4"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        p[5]
    with pytest.raises(IndexError, match="index -6 is out of range"):
        p[-6] = npnn.ones(1)
    with pytest.raises(TypeError, match=r"ParameterList\.extend should be called with an iterable"):
        p.extend(npnn.ones(3))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        p(npnn.ones(1))


def test_parameter_dict_behaves_as_a_dict_sorting_plain_dicts() -> None:
    d = nn.ParameterDict({"z": npnn.randn(2), "a": npnn.ones(1)})
    assert list(d) == ["a", "z"]  # a plain dict's entries are added sorted, as PyTorch
    d.update(OrderedDict([("y", npnn.zeros(3)), ("b", npnn.zeros(1))]))
    assert list(d.keys()) == ["a", "z", "y", "b"] and isinstance(d["y"], nn.Parameter)
    assert [k for k, _ in d.items()] == list(d) and len(list(d.values())) == 4
    assert d.get("missing") is None and d.get("a") is d["a"] and "b" in d
    assert d.setdefault("c", npnn.ones(2)).shape == (2,)
    key, value = d.popitem()
    assert key == "c" and value.shape == (2,) and "c" not in d
    popped = d.pop("y")
    assert popped.shape == (3,) and "y" not in dict(d.named_parameters())
    merged = d | nn.ParameterDict([("q", npnn.ones(1))])
    assert list(merged) == ["a", "z", "b", "q"] and merged["a"] is d["a"]
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []
    with pytest.raises(KeyError):
        d["a"]
    with pytest.raises(TypeError, match="not a string"):
        d[1] = npnn.ones(1)
    with pytest.raises(TypeError, match=r"ParametersDict\.update should be called with an iterable"):
        d.update(3)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        d(npnn.ones(1))


def test_containers_feed_state_dict_load_and_optimizer() -> None:
    model = nn.Module()
    model.params = nn.ParameterList([npnn.ones(2), npnn.ones(3)])
    model.pdict = nn.ParameterDict({"a": npnn.ones(2)})
    assert list(model.state_dict()) == ["params.0", "params.1", "pdict.a"]
    loss = (model.params[0] * 2).sum() + model.params[1].sum() + (model.pdict["a"] ** 2).sum()
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    loss.backward()
    optimizer.step()
    np.testing.assert_allclose(model.params[0].numpy(), [0.0, 0.0])
    np.testing.assert_allclose(model.params[1].numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(model.pdict["a"].numpy(), [0.0, 0.0])
    fresh = nn.Module()
    fresh.params = nn.ParameterList([npnn.zeros(2), npnn.zeros(3)])
    fresh.pdict = nn.ParameterDict({"a": npnn.zeros(2)})
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_allclose(fresh.params[1].numpy(), [0.5, 0.5, 0.5])


def test_parameter_list_repr_lists_each_entry() -> None:
    p = nn.ParameterList([npnn.zeros(2, 3), "not a tensor"])
    assert repr(p) == ("ParameterList(\n    (0): Parameter containing: [npnn.float32 of size 2x3]\n"
                       "    (1): Object of type: str\n)")
    assert len(p.state_dict()) == 1


def test_a_key_that_names_an_attribute_is_refused_as_torch() -> None:
    """ModuleDict({'training': m}) replaced the module's train/eval flag with the module."""
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        nn.ModuleDict({"training": nn.Linear(1, 1)})
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        nn.ModuleDict({"forward": nn.Linear(1, 1)})
    layer = nn.Linear(1, 1)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        layer.register_buffer("weight", npnn.zeros(1))
