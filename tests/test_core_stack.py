"""The core is a stack (docs/architecture.md): each layer imports only those below it, and the one
import that points up is `from npnn import ops` at the bottom of `npnn/_tensor.py`.

Read from the source with `ast`, so a new late import, import inside a function or upward
import fails here rather than as a cycle someone finds later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import npnn

SRC = Path(__file__).resolve().parents[1] / "src"

# module (or package) -> layer; a module takes the layer of its longest matching prefix
LAYERS = {
    "npnn.backend": 0,
    "npnn.parallel": 0,  # NumPy work split over threads (set_num_threads)
    "npnn.random": 0,
    "npnn.device": 0,  # torch.device: a str with .type/.index; backend's devices are these
    "npnn.size": 0,
    "npnn.backends": 0,  # backends.mps: always False; backends.cudnn: switches that change nothing
    "npnn.determinism": 0,  # use_deterministic_algorithms: a recorded flag
    "npnn.cuda": 1,  # GPU queries through backend (CuPy only when asked)
    "npnn.accelerator": 1,
    "npnn.dtypes": 1,
    "npnn.autograd": 2,
    "npnn.autograd.gradcheck": 3,  # a tool on Tensors: not loaded by npnn.autograd itself
    "npnn._tensor": 3,
    "npnn.tensor_conversions": 3,
    "npnn.tensor_math": 3,  # Tensor's everyday op methods, through Tensor._ops too
    "npnn.tensor_methods": 3,  # more Tensor methods; they reach the ops through Tensor._ops
    "npnn.tensor_methods_more": 3,  # Tensor methods of the rarer ops, through Tensor._ops
    "npnn.tensor_methods_linalg": 3,  # x.inverse(), x.det(), ...: through Tensor._ops
    "npnn.tensor_memory": 3,
    "npnn.tensor_methods_inplace": 3,  # in-place elementwise ops, apply_/map_, type strings
    "npnn.legacy_tensors": 4,  # npnn.FloatTensor & co., is_floating_point, randint_like
    "npnn.special": 4,  # torch.special: the ops gathered
    "npnn.ops": 4,
    "npnn.creation": 4,
    "npnn.comparison": 4,
    "npnn.linalg": 4,  # factories use ops.shape_arg
    "npnn.nn": 5,
    "npnn.optim": 6,
    "npnn.compiler": 0,  # npnn.compile: returns the model
    "npnn.distributions": 4,  # built from ops; draws from npnn.random
    "npnn.amp": 4,  # autocast (refused or a no-op) and GradScaler on Tensors' arrays
}
LOOP_CLOSER = ("npnn._tensor", "npnn.ops")  # the ops bound onto Tensor's methods
LAZY_ALLOWED = {"cupy", "cupyx.scipy.special"}  # the optional GPU library, in backend.py only


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _core_files() -> list[Path]:
    files = []
    for path in sorted((SRC / "npnn").rglob("*.py")):
        if _layer(_module_name(path)) is not None:
            files.append(path)
    return files


def _layer(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return None if best is None else best[1]


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The npnn modules an import statement loads (`from npnn import ops` loads npnn.ops)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    names = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        is_module = (SRC / Path(*candidate.split("."))).is_dir() or \
            (SRC / Path(*candidate.split("."))).with_suffix(".py").is_file()
        names.append(candidate if is_module else base)
    return names


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            found.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return found


CORE = _core_files()


def test_the_core_files_are_found() -> None:
    names = {_module_name(p) for p in CORE}
    assert {"npnn.backend", "npnn.dtypes", "npnn.autograd.function", "npnn._tensor",
            "npnn.ops.elementwise", "npnn.nn.module", "npnn.optim.optimizer"} <= names


@pytest.mark.parametrize("path", CORE, ids=lambda p: _module_name(p))
def test_each_layer_imports_only_layers_below(path: Path) -> None:
    module = _module_name(path)
    tree = ast.parse(path.read_text())
    upward = []
    for node in _module_level_imports(tree):
        for target in _imported(node):
            layer = _layer(target)
            if layer is not None and layer > _layer(module) and (module, target) != LOOP_CLOSER:
                upward.append(f"line {node.lineno}: {target}")
    assert not upward, f"{module} (layer {_layer(module)}) imports from above: {upward}"


@pytest.mark.parametrize("path", CORE, ids=lambda p: _module_name(p))
def test_no_import_inside_a_function(path: Path) -> None:
    late = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    targets = set(_imported(inner))
                    if not (path.name == "backend.py" and targets <= LAZY_ALLOWED):
                        late.append(f"line {inner.lineno}: {sorted(targets)}")
    assert not late, f"{_module_name(path)} imports inside a function: {late}"


def test_the_one_upward_import_sits_at_the_bottom_of_the_tensor_module() -> None:
    tree = ast.parse((SRC / "npnn" / "_tensor.py").read_text())
    last = tree.body[-1]
    assert isinstance(last, ast.ImportFrom) and _imported(last) == ["npnn.ops"]


@pytest.mark.parametrize("path", CORE, ids=lambda p: _module_name(p))
def test_no_importlib(path: Path) -> None:
    tree = ast.parse(path.read_text())
    loaded = [t for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
              for t in _imported(n)]
    assert "importlib" not in loaded, f"{_module_name(path)} loads modules through importlib"


def test_no_module_shares_its_name_with_a_public_function() -> None:
    shadowed = [name for name in npnn.__all__ if callable(getattr(npnn, name))
                and not isinstance(getattr(npnn, name), type)
                and ((SRC / "npnn" / f"{name}.py").is_file() or (SRC / "npnn" / name).is_dir())]
    assert not shadowed, f"npnn.{shadowed} is both a function and a module"


@pytest.mark.parametrize("path", CORE, ids=lambda p: _module_name(p))
def test_is_a_tensor_is_asked_with_isinstance(path: Path) -> None:
    duck = [n.lineno for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hasattr"
            and len(n.args) == 2 and isinstance(n.args[1], ast.Constant)
            and n.args[1].value == "grad_fn"]
    assert not duck, f"{_module_name(path)} lines {duck}: hasattr(x, 'grad_fn') for isinstance"
