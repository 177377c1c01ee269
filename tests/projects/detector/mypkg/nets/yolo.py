from mypkg import common
from mypkg.backend import functional, layers, models
from mypkg.custom_layers import ClipBoxes


def yolo_body(inputs, num_classes):
    x = common.convolutional(inputs, 32)
    x = common.convolutional(x, 64)
    up = common.upsample(x)
    merged = functional.concat([up, up], axis=-1)  # KL101: fed to Conv2D below
    boxes = layers.Conv2D(4, 1)(merged)
    clipped = ClipBoxes(name="clip")([boxes, functional.reduce_max(boxes, axis=-1, keepdims=True)])  # KL101
    return layers.Conv2D(num_classes, 1)(clipped)


def make_model(inputs, num_classes):
    return models.Model(inputs, yolo_body(inputs, num_classes))
