"""Utilities with PyTorch's paths: `npnn.utils.data` (Dataset, DataLoader, samplers, collation).

Imported on demand (`import npnn.utils.data`), so `import npnn` stays as light as it is.
"""
