"""keras-lint: a static-analysis linter for Keras and TensorFlow code."""

__version__ = "0.1.0"
