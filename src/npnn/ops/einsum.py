"""einsum: Einstein summation over any number of operands, with its gradient.

The gradient of operand i is itself an einsum: the output's gradient contracted with the
other operands onto operand i's letters. Letters that only operand i has (summed away) are
broadcast back, and a letter repeated within an operand (a diagonal, 'ii->i') is written
back onto that diagonal. '...' is spelled out as letters first.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function

_SPARE = string.ascii_uppercase + string.ascii_lowercase


def _parse(equation: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """Each operand's letters and the output's, with '...' replaced by letters."""
    equation = equation.replace(" ", "")
    inputs_part, arrow, output = equation.partition("->")
    terms = inputs_part.split(",")
    if len(terms) != len(ndims):
        raise ValueError("einsum(): more operands were provided than specified in the equation"
                         if len(terms) < len(ndims) else
                         "einsum(): fewer operands were provided than specified in the equation")
    used = set(equation) - set(".,->")
    spare = [c for c in _SPARE if c not in used]
    counts = []
    for index, (term, ndim) in enumerate(zip(terms, ndims, strict=True)):
        named = len(term) - 3 if "..." in term else len(term)
        if named > ndim or ("..." not in term and named != ndim):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not "
                               f"match the number of dimensions ({ndim}) for operand {index}"
                               + ("" if "..." in term else " and no ellipsis was given"))
        counts.append(ndim - named)
    longest = max(counts, default=0)
    ellipsis = "".join(spare[:longest])
    # '...' stands for the trailing dims of the longest one, as broadcasting aligns them
    spelled = [t.replace("...", ellipsis[longest - n:]) for t, n in zip(terms, counts, strict=True)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit output: '...' then the letters used once, in alphabetical order
        letters = "".join(spelled)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                           and c not in ellipsis))
    return spelled, output


class Einsum(Function):
    def forward(self, *arrays, terms=(), output=""):
        self.arrays, self.terms, self.out_term = arrays, terms, output
        xp = backend.get_array_module(*arrays)
        spec = ",".join(terms) + "->" + output
        return xp.einsum(spec, *arrays, optimize=len(arrays) > 1)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grads = []
        for i, (array, term) in enumerate(zip(self.arrays, self.terms, strict=True)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(t, a) for j, (t, a) in enumerate(zip(self.terms, self.arrays, strict=True)) if j != i]
            available = set(self.out_term).union(*(t for t, _ in others))
            unique = "".join(dict.fromkeys(term))
            reached = "".join(c for c in unique if c in available)
            spec = ",".join([self.out_term, *(t for t, _ in others)]) + "->" + reached
            grad = xp.einsum(spec, grad_output, *(a for _, a in others), optimize=bool(others))
            sizes = dict(zip(term, array.shape, strict=True))
            squeezed = tuple(k for k, c in enumerate(reached) if sizes[c] == 1 and grad.shape[k] != 1)
            if squeezed:  # a size-1 dim of '...' that broadcasting grew
                grad = grad.sum(axis=squeezed, keepdims=True)
            # letters only this operand has were summed away: each element gets the same gradient
            grad = grad.reshape([sizes[c] if c in reached else 1 for c in unique])
            grad = xp.broadcast_to(grad, [sizes[c] for c in unique])
            if len(unique) != len(term):  # a repeated letter: the gradient lies on that diagonal
                full = xp.zeros(array.shape, grad.dtype)
                grid = xp.ix_(*(xp.arange(sizes[c]) for c in unique)) if unique else ()
                full[tuple(grid[unique.index(c)] for c in term)] = grad
                grad = full
            grads.append(grad)
        return tuple(grads)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the letters of `equation` ('ij,jk->ik'; '...' for leading dims;
    without '->', the letters used once, alphabetically). Operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [to_tensor(t) for t in operands]
    terms, output = _parse(equation, [t.ndim for t in tensors])
    for term, tensor in zip(terms, tensors, strict=True):
        sizes: dict[str, int] = {}
        for c, n in zip(term, tensor.shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand but the sizes "
                                   f"don't match, {sizes[c]} != {n}")
    contracted = {c for c in "".join(terms) if c not in output and sum(c in t for t in terms) > 1}
    if contracted and len({t.dtype for t in tensors}) > 1:  # PyTorch contracts with bmm
        raise RuntimeError(f"einsum(): operands of different dtypes "
                           f"({', '.join(str(t.dtype) for t in tensors)}) cannot be contracted over "
                           f"{''.join(sorted(contracted))}; convert them to one dtype (products "
                           f"without a contraction promote, as PyTorch's)")
    return Einsum.apply(*tensors, terms=tuple(terms), output=output)
