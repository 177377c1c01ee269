import tensorflow as tf

import data
import losses


def step(annotations, image_id, anchors):
    boxes = data.load_boxes(annotations, image_id)
    return losses.forward(boxes, anchors)


def padded_step(annotations, image_id, anchors):
    boxes = data.load_boxes(annotations, image_id)
    boxes = tf.pad(boxes, [[0, 1], [0, 0]])  # rebound: no longer the data-derived value
    return losses.best_anchor_for(boxes, anchors)


@tf.function
def train_step(annotations, image_id, anchors):
    boxes = data.load_boxes(annotations, image_id)
    return losses.match_in_step(boxes, anchors)
