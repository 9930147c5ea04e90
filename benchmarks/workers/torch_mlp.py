"""PyTorch CPU, written as a user would for data that fits in memory.

Batches are gathered by indexing one tensor with a fresh `randperm` each epoch: torch's
DataLoader over a TensorDataset collates sample by sample and would measure that instead. With
`--task infer`, one epoch is the model in eval mode under no_grad over all images in order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from common import batch_slices, build_mlp, load_data, measure, parse_spec, train_step


def main() -> None:
    spec = parse_spec()
    torch.set_num_threads(spec.threads)  # besides OMP_NUM_THREADS, which the orchestrator set
    images, labels = load_data(spec)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
    torch.manual_seed(spec.seed)
    model, optimizer = build_mlp(torch.nn, torch.optim, spec)

    def train_epoch(epoch: int) -> float:
        total = 0.0
        order = torch.randperm(len(y_all))
        for batch in batch_slices(len(y_all), spec.batch_size):
            index = order[batch]
            total += train_step(model, optimizer, F.cross_entropy, x_all[index], y_all[index])
        return total / len(y_all)

    def infer_epoch(epoch: int) -> float:
        total = 0.0
        with torch.no_grad():
            for batch in batch_slices(len(y_all), spec.batch_size):
                total += F.cross_entropy(model(x_all[batch]), y_all[batch], reduction="sum").item()
        return total / len(y_all)

    infer = spec.task == "infer"
    if infer:
        model.eval()
    measure(spec, infer_epoch if infer else train_epoch, lambda: {"torch_threads": torch.get_num_threads()})


if __name__ == "__main__":
    main()
