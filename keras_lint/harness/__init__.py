"""The runtime harness: proves every rule on real TensorFlow (``keras-lint verify``).

The parent process never imports TensorFlow; one child process per stack does (see runner.py).
"""
from .cli import main

__all__ = ["main"]
