"""Containers of modules: Sequential, ModuleList, ModuleDict (of parameters: param_containers.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from npnn.nn.module import Module


class Sequential(Module):
    """Modules applied in order; built from modules or an OrderedDict of named modules."""

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before `index`; the ones after it move up one name ("2" becomes "3")."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for position, entry in enumerate(modules):
            self.add_module(str(position), entry)

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[index]
        self.add_module(name, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __repr__(self) -> str:
        """As PyTorch's: a run of equal entries prints once, as `(0-5): 6 x TransformerEncoderLayer(...)`."""
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for index, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return "ModuleList()"
        lines = [f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
                 for first, last, text in runs]
        return "ModuleList(\n  " + "\n  ".join(line.replace("\n", "\n  ") for line in lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules whose parameters are registered under their keys.

    As PyTorch, `update` keeps the order of any mapping or sequence of (key, module) pairs;
    calling a ModuleDict is an error (it has no forward).
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self) -> KeysView[str]:
        return self._modules.keys()

    def items(self) -> ItemsView[str, Module]:
        return self._modules.items()

    def values(self) -> ValuesView[Module]:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or overwrite entries from a mapping or an iterable of (key, module) pairs."""
        for key, module in pairs(modules, "ModuleDict"):
            self[key] = module


def pairs(entries: Any, owner: str, sort_plain_dicts: bool = False) -> Iterator[tuple[Any, Any]]:
    """The (key, value) pairs of a mapping or pair sequence, with PyTorch's errors for misuse.

    ParameterDict sorts a plain (unordered in PyTorch's view) dict by key; ModuleDict does not.
    """
    if not isinstance(entries, Iterable):
        name = "ParametersDict" if owner == "ParameterDict" else owner  # PyTorch's spelling
        raise TypeError(f"{name}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(entries).__name__}")
    if isinstance(entries, Mapping) or hasattr(entries, "items"):  # also ModuleDict, ParameterDict
        items = list(entries.items())
        if sort_plain_dicts and isinstance(entries, Mapping) and not isinstance(entries, OrderedDict):
            items = sorted(items)
        yield from items
        return
    for position, pair in enumerate(entries):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{owner} update sequence element #{position} should be Iterable; "
                            f"is {type(pair).__name__}")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{owner} update sequence element #{position} has length {len(pair)}; "
                             "2 is required")
        yield pair
