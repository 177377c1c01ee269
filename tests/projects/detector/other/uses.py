import keras
from other import backend
from other.backend import Layer


class Block(Layer):
    def __init__(self, name, width):
        super().__init__(name)
        self.width = width


def head(x):
    return keras.layers.Dense(2)(backend.reduce_max(x))


inp = keras.Input((4,))
out = head(inp)
