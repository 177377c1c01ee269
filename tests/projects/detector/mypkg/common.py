from .backend import functional, layers


def convolutional(x, filters):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return functional.nn.leaky_relu(x, alpha=0.1)  # KL101: the caller feeds it to a layer


def upsample(x):
    return functional.image.resize(x, (16, 16))  # KL101 too


def scale(images):
    """Only ever given numpy arrays (see data.py): not symbolic."""
    return functional.image.resize(images, (16, 16))
