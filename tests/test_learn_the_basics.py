"""PyTorch's "Learn the Basics" tutorials (Tensors, Build the Neural Network, Autograd,
Optimization, Save & Load; pytorch.org/tutorials/beginner/basics) run with `import npnn as torch`.

The code is the tutorials' own, shortened where it only prints (random data stands in for
Fashion-MNIST, which the Quickstart test in tests/vision reads). Each part runs under npnn and
under torch; the values that do not depend on random numbers are compared."""

from __future__ import annotations

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

TENSORS = '''
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
shape = (2, 3,)
rand_tensor, ones_tensor, zeros_tensor = torch.rand(shape), torch.ones(shape), torch.zeros(shape)
tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}\\nDatatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}", f"First column: {tensor[:, 0]}", f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
t1 = torch.cat([tensor, tensor, tensor], dim=1)
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(f"{tensor} \\n")
tensor.add_(5)
t = torch.ones(5)
n = t.numpy()
t.add_(1)
n_after_t_add = n.copy()
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
t_after_n_add = t.numpy().copy()
'''

BUILD_MODEL = '''
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits
model = NeuralNetwork().to(device)
print(model)
X = torch.rand(1, 28, 28, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
input_image = torch.rand(3, 28, 28)
flatten = nn.Flatten()
flat_image = flatten(input_image)
layer1 = nn.Linear(in_features=28*28, out_features=20)
hidden1 = layer1(flat_image)
print(f"Before ReLU: {hidden1}\\n\\n")
hidden1 = nn.ReLU()(hidden1)
seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
logits = seq_modules(torch.rand(3, 28, 28))
pred_probab = nn.Softmax(dim=1)(logits)
sizes = [(name, param.size()) for name, param in model.named_parameters()]
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \\n")
'''

AUTOGRAD = '''
x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
loss.backward()
z = torch.matmul(x, w)+b
tracked = z.requires_grad
with torch.no_grad():
    z = torch.matmul(x, w)+b
untracked = z.requires_grad
z_det = torch.matmul(x, w).add(b).detach()
inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.clone()
out.backward(torch.ones_like(out), retain_graph=True)
second = inp.grad.clone()
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
after_zero = inp.grad.clone()
'''

OPTIMIZATION = '''
loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(torch.rand(130, 1, 28, 28), torch.randint(0, 10, (130,))),
    batch_size=64)
learning_rate, batch_size, epochs = 1e-3, 64, 2
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 100 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")
    return test_loss, correct
for t in range(epochs):
    print(f"Epoch {t+1}\\n-------------------------------")
    train_loop(loader, model, loss_fn, optimizer)
    test_loss, correct = test_loop(loader, model, loss_fn)
'''

SAVE_LOAD = '''
torch.save(model.state_dict(), "model_weights.pth")
model2 = NeuralNetwork()
model2.load_state_dict(torch.load("model_weights.pth", weights_only=True))
model2.eval()
'''


def run(lib, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lib.manual_seed(0)
    namespace = {"torch": lib, "nn": lib.nn, "np": np, "__name__": "tutorial"}
    for part in (TENSORS, BUILD_MODEL, AUTOGRAD, OPTIMIZATION, SAVE_LOAD):
        exec(compile(part, "tutorial.py", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return (run(npnn, tmp_path_factory.mktemp("npnn"), monkeypatch),
                run(torch, tmp_path_factory.mktemp("torch"), monkeypatch))


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


@pytest.mark.parametrize("name", ["x_np", "x_ones", "t1", "y1", "y2", "y3", "z1", "z2", "z3", "tensor",
                                  "n_after_t_add", "t_after_n_add", "first", "second", "after_zero"])
def test_deterministic_values_match_torch(both, name):
    ours, theirs = both
    np.testing.assert_allclose(_np(ours[name]), _np(theirs[name]))


def test_the_tutorials_facts_match_torch(both, capsys):
    ours, theirs = both
    for name in ("agg_item", "tracked", "untracked", "sizes", "device"):
        assert ours[name] == theirs[name], name
    assert ours["z_det"].requires_grad is theirs["z_det"].requires_grad is False
    assert ours["x_rand"].dtype == np.float32 and ours["y_pred"].shape == tuple(theirs["y_pred"].shape)
    assert 0 <= ours["correct"] <= 1 and np.isfinite(ours["test_loss"])


def test_saved_weights_load_into_a_new_model(both):
    ours, _ = both
    for (name, a), (_, b) in zip(ours["model"].state_dict().items(),
                                 ours["model2"].state_dict().items(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_saving_the_whole_model_is_refused_with_the_fix(both, tmp_path):
    with pytest.raises(TypeError, match=r"save model\.state_dict\(\)"):
        npnn.save(both[0]["model"], tmp_path / "model.pth")
