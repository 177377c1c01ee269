"""One switch for the whole project: Keras from TensorFlow, and a module of tensor functions."""
import tensorflow as functional
from tensorflow.keras import layers, models
