"""migrate: TensorFlow/Keras → PyTorch, code, weights and proof."""

__version__ = "0.1.0"
