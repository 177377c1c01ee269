import numpy as np
import tensorflow as tf

import losses


def load_boxes(path):
    """Named like the data module, but its boxes are a fixed grid: never empty."""
    return tf.constant(np.load(path)[:4], tf.float32)


def grid_targets(path, anchors):
    boxes = load_boxes(path)
    return losses.best_anchor_for(boxes, anchors)
