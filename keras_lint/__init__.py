"""keras-lint: a static-analysis linter for Keras and TensorFlow code."""

__version__ = "0.1.0"

#: the stacks ``--target`` names (here, so that the flake8 plugin's start-up imports nothing else)
TARGETS = ("keras3", "tf-keras")
