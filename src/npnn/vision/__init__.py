"""torchvision's paths for npnn: `npnn.vision.datasets` (MNIST, FashionMNIST) and
`npnn.vision.transforms` (ToTensor, PILToTensor, Normalize, Compose, Lambda).

Imported on demand; Pillow is imported only when an image is made or converted.
"""
