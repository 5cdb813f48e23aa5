"""Training: data sets, augmentation, compositing, losses, the training loop and ONNX export.

Torch is needed only here, and only when a module that uses it (e.g. :mod:`bodyseg.train.losses`)
is imported: importing this package does not import torch.
"""
