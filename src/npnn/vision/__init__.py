"""torchvision's paths for npnn: `npnn.vision.datasets` (MNIST, FashionMNIST) and
`npnn.vision.transforms` (ToTensor, Normalize, Compose and torchvision's augmentations; their
functional forms in `npnn.vision.functional`).

Imported on demand; Pillow is imported only when an image is made or converted.
"""
