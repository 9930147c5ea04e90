"""Module's data model: registration, traversal, modes, gradients, dtype conversion, repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import npnn
from npnn import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.block = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.register_buffer("steps", np.zeros((), dtype=np.int64))
        self.register_buffer("cache", np.zeros(2, dtype=np.float32), persistent=False)

    def forward(self, x: npnn.Tensor) -> npnn.Tensor:
        return self.block(self.act(self.fc(x))) * self.scale


NET_PARAMETERS = ["scale", "fc.weight", "fc.bias", "block.0.weight", "block.0.bias",
                  "block.1.weight", "block.1.bias"]
NET_BUFFERS = ["steps", "cache", "block.1.running_mean", "block.1.running_var",
               "block.1.num_batches_tracked"]
NET_STATE = ["scale", "steps", "fc.weight", "fc.bias", "block.0.weight", "block.0.bias",
             "block.1.weight", "block.1.bias", "block.1.running_mean", "block.1.running_var",
             "block.1.num_batches_tracked"]


# ----- registration -----
def test_attribute_assignment_registers_parameters_modules_and_buffers() -> None:
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["fc", "act", "block"]
    assert list(net._buffers) == ["steps", "cache"]
    assert net.fc is net._modules["fc"]
    assert isinstance(net.steps, npnn.Tensor) and not isinstance(net.steps, nn.Parameter)
    assert "scale" not in net.__dict__ and "fc" not in net.__dict__


def test_plain_attributes_and_plain_tensors_are_not_registered() -> None:
    net = Net()
    net.rate = 0.5
    net.tensor = npnn.ones(3)
    assert net.rate == 0.5
    assert "tensor" not in dict(net.named_parameters())
    assert "tensor" not in dict(net.named_buffers())


def test_assigning_to_a_buffer_name_keeps_it_a_buffer() -> None:
    net = Net()
    net.steps = np.full((), 5, dtype=np.int64)
    assert isinstance(net.steps, npnn.Tensor)
    assert int(net.state_dict()["steps"]) == 5


@pytest.mark.parametrize("value", [npnn.ones(1), np.ones(1), 1.0], ids=["Tensor", "ndarray", "float"])
def test_reassigning_a_parameter_to_a_non_parameter_raises(value: object) -> None:
    net = Net()
    with pytest.raises(TypeError, match=r"parameter 'scale'.*nn\.Parameter"):
        net.scale = value
    assert isinstance(net.scale, nn.Parameter)


def test_assigning_none_to_a_parameter_unregisters_its_value() -> None:
    net = Net()
    net.fc.bias = None
    assert net.fc.bias is None
    assert "fc.bias" not in dict(net.named_parameters())
    assert "fc.bias" not in net.state_dict()


def test_assigning_a_non_module_to_a_submodule_name_raises() -> None:
    net = Net()
    with pytest.raises(TypeError, match="sub-module 'fc'"):
        net.fc = 3


def test_reassigning_a_name_to_another_kind_moves_it() -> None:
    net = Net()
    net.scale = nn.Linear(1, 1)
    assert "scale" not in net._parameters
    assert [name for name, _ in net.named_children()] == ["fc", "act", "block", "scale"]
    net.fc = nn.Parameter(np.zeros(2, dtype=np.float32))
    assert "fc" not in net._modules and "fc" in net._parameters


def test_reassigning_the_same_kind_keeps_the_registration_order() -> None:
    net = Net()
    net.fc = nn.Linear(4, 3)
    net.scale = nn.Parameter(np.zeros(1, dtype=np.float32))
    net.register_buffer("steps", np.ones((), dtype=np.int64))
    assert list(net.state_dict()) == NET_STATE


@pytest.mark.parametrize("name, registry", [("scale", "_parameters"), ("steps", "_buffers"),
                                            ("fc", "_modules")])
def test_deleting_an_attribute_unregisters_it(name: str, registry: str) -> None:
    net = Net()
    delattr(net, name)
    assert name not in getattr(net, registry)
    assert not any(key == name or key.startswith(name + ".") for key in net.state_dict())
    with pytest.raises(AttributeError, match=name):
        getattr(net, name)


def test_reregistering_a_buffer_as_persistent_puts_it_in_the_state_dict() -> None:
    net = Net()
    net.register_buffer("cache", np.ones(2, dtype=np.float32), persistent=True)
    assert "cache" in net.state_dict()


def test_register_parameter_and_add_module_check_types() -> None:
    module = nn.Module()
    with pytest.raises(TypeError, match=r"nn\.Parameter"):
        module.register_parameter("w", npnn.ones(2))
    with pytest.raises(TypeError, match="Module"):
        module.add_module("m", npnn.ones(2))


@pytest.mark.parametrize("register", [
    lambda m, name: m.register_parameter(name, None),
    lambda m, name: m.register_buffer(name, None),
    lambda m, name: m.add_module(name, None),
], ids=["parameter", "buffer", "module"])
@pytest.mark.parametrize("name", ["a.b", ""])
def test_registered_names_must_be_usable_as_state_dict_key_parts(register, name: str) -> None:
    with pytest.raises(KeyError, match=r"no '\.'"):
        register(nn.Module(), name)


def test_subclass_that_forgets_super_init_gets_a_clear_error() -> None:
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_missing_attribute_error_names_the_class_and_attribute() -> None:
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = Net().nope


# ----- traversal -----
def test_named_parameters_have_dotted_names_in_registration_order() -> None:
    net = Net()
    assert [name for name, _ in net.named_parameters()] == NET_PARAMETERS
    assert [p for p in net.parameters()] == [p for _, p in net.named_parameters()]
    assert [name for name, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in net.fc.named_parameters(prefix="fc")] == ["fc.weight", "fc.bias"]
    assert [name for name, _ in net.named_buffers()] == NET_BUFFERS


def test_shared_parameters_and_modules_are_listed_once() -> None:
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3

    tied = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 4))
    tied[1].weight = nn.Parameter(np.zeros((4, 3), dtype=np.float32))
    tied[0].weight = tied[1].weight  # same object in two modules
    assert [name for name, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_children_modules_and_named_modules() -> None:
    net = Net()
    assert list(net.children()) == [net.fc, net.act, net.block]
    assert [name for name, _ in net.named_children()] == ["fc", "act", "block"]
    assert [name for name, _ in net.named_modules()] == ["", "fc", "act", "block", "block.0", "block.1"]
    assert next(iter(net.modules())) is net
    assert list(net.modules())[-1] is net.block[1]


def test_named_modules_handles_deep_nesting_without_recursion() -> None:
    model = nn.Identity()
    for _ in range(3000):
        model = nn.Sequential(model)
    assert len(list(model.modules())) == 3001


# ----- modes and gradients -----
def test_train_and_eval_are_recursive_and_return_self() -> None:
    net = Net()
    assert net.eval() is net
    assert all(not module.training for module in net.modules())
    assert net.train() is net
    assert all(module.training for module in net.modules())
    net.block.eval()
    assert net.training and net.fc.training and not net.block[1].training


def test_dropout_is_identity_in_eval_and_masks_in_train() -> None:
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Dropout(0.5))
    x = npnn.ones(200, 50)
    train_out = model(x).data
    assert set(np.unique(train_out)) == {0.0, 2.0}
    assert 0.4 < (train_out == 0).mean() < 0.6
    model.eval()
    np.testing.assert_array_equal(model(x).data, x.data)


def test_batchnorm_uses_batch_stats_in_train_and_running_stats_in_eval(rng: np.random.Generator) -> None:
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    model = nn.Sequential(bn)
    x = rng.normal(2.0, 3.0, size=(16, 3))
    out = model(npnn.tensor(x)).data
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-12)

    model.eval()
    running_mean, running_var = bn.running_mean.data.clone(), bn.running_var.data.clone()
    out = model(npnn.tensor(x)).data
    np.testing.assert_allclose(out, (x - running_mean) / np.sqrt(running_var + 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.data, running_mean)
    assert int(bn.num_batches_tracked.data) == 1


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    net = Net()
    net.eval()
    net(npnn.ones(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grads_before = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=set_to_none)
    for param, before in zip(net.parameters(), grads_before, strict=True):
        if set_to_none:
            assert param.grad is None
        else:
            assert param.grad is before  # zeroed in place, as PyTorch
            assert param.grad.shape == param.shape and not param.grad.any()


def test_requires_grad_toggles_every_parameter() -> None:
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_apply_visits_children_before_parents() -> None:
    net = Net()
    visited: list[nn.Module] = []
    assert net.apply(visited.append) is net
    assert len(visited) == 6 and visited[-1] is net
    assert visited.index(net.block[1]) < visited.index(net.block)


def _tree(lib):
    """The same nested tree in npnn or torch, with a module shared by two parents."""
    shared = lib.nn.Tanh()
    inner = lib.nn.Sequential(lib.nn.ReLU(), shared)
    return lib.nn.Sequential(lib.nn.Linear(2, 3), inner,
                             lib.nn.Sequential(lib.nn.Sigmoid(), inner, lib.nn.Identity()), shared)


def test_apply_visits_in_pytorchs_order() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed")
    orders = []
    for lib in (npnn, torch):
        root, visited = _tree(lib), []
        root.apply(lambda m, visited=visited: visited.append(type(m).__name__))
        orders.append(visited)
    assert orders[0] == orders[1]
    assert orders[0][:3] == ["Linear", "ReLU", "Tanh"]  # post-order, registration order


def test_get_submodule_follows_dotted_paths() -> None:
    net = Net()
    assert net.get_submodule("") is net
    assert net.get_submodule("block.1") is net.block[1]
    with pytest.raises(AttributeError, match=r"'nope'.*block\.nope"):
        net.get_submodule("block.nope")


@pytest.mark.parametrize("call", [
    lambda m: m.to(npnn.float64),
    lambda m: m.to(dtype=npnn.float64),
    lambda m: m.to("cpu", npnn.float64),
    lambda m: m.to(device="cpu", dtype=npnn.float64),
], ids=["dtype", "dtype_kw", "device_dtype", "both_kw"])
def test_module_to_accepts_torch_call_forms(call) -> None:
    net = Net()
    weight = net.fc.weight
    assert call(net) is net and net.fc.weight is weight
    assert weight.dtype == np.float64 and net.steps.dtype == np.int64
    assert net.to(device="cpu") is net and weight.dtype == np.float64


def test_linear_takes_torchs_keyword_order() -> None:
    layer = nn.Linear(3, 2, True, "cpu", npnn.float64)
    assert layer.weight.dtype == np.float64 and layer.bias is not None
    with pytest.raises(TypeError):
        nn.Linear(3, 2, True, None, None, npnn.Generator(0))  # generator is keyword-only


# ----- dtype -----
@pytest.mark.parametrize("method, dtype", [("double", np.float64), ("float", np.float32)])
def test_double_and_float_convert_floating_parameters_and_buffers(method: str, dtype: type) -> None:
    net = Net().double() if method == "float" else Net()
    net.eval()
    net(npnn.ones(2, 4, dtype=net.fc.weight.dtype)).sum().backward()
    assert getattr(net, method)() is net
    assert all(p.dtype == dtype and p.grad.dtype == dtype for p in net.parameters())
    assert net.block[1].running_mean.dtype == dtype
    assert net.block[1].num_batches_tracked.dtype == np.int64
    assert net.steps.dtype == np.int64
    assert net(npnn.ones(2, 4, dtype=dtype)).dtype == dtype


# ----- repr -----
def test_repr_of_nested_modules_is_indented() -> None:
    model = nn.Sequential(
        nn.Linear(4, 3),
        nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)),
        nn.Dropout(0.2),
    )
    expected = (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  )\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        ")"
    )
    assert repr(model) == expected


def test_repr_shows_extra_repr_before_children() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(2, 1, bias=False)

        def extra_repr(self) -> str:
            return "factor=2"

    assert repr(Scaled()) == (
        "Scaled(\n  factor=2\n  (inner): Linear(in_features=2, out_features=1, bias=False)\n)"
    )


def test_deepcopy_makes_an_independent_snapshot() -> None:
    net = Net()
    snapshot = copy.deepcopy(net)
    assert list(snapshot.state_dict()) == NET_STATE
    assert snapshot.fc.weight is not net.fc.weight
    net.fc.weight.data[...] = 0.0
    assert snapshot.fc.weight.data.any()


def test_state_dict_holds_parameters_and_persistent_buffers_of_every_module() -> None:
    state = Net().state_dict()
    assert list(state) == NET_STATE  # "cache" is non-persistent
    assert all(type(value) is npnn.Tensor and not value.requires_grad for value in state.values())


def test_a_deep_copied_parameter_has_no_grad_as_torch() -> None:


    layer = nn.Linear(3, 2)
    layer(npnn.randn(4, 3)).sum().backward()
    clone = copy.deepcopy(layer)
    assert layer.weight.grad is not None and clone.weight.grad is None and clone.bias.grad is None
    np.testing.assert_array_equal(clone.weight.numpy(), layer.weight.numpy())
    assert clone.weight.requires_grad and isinstance(clone.weight, nn.Parameter)
