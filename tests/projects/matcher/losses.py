import tensorflow as tf


def iou(boxes1, boxes2):
    lo = tf.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    hi = tf.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = tf.reduce_prod(tf.maximum(hi - lo, 0.0), axis=-1)
    area1 = tf.reduce_prod(boxes1[:, 2:] - boxes1[:, :2], axis=-1)
    area2 = tf.reduce_prod(boxes2[:, 2:] - boxes2[:, :2], axis=-1)
    return inter / (area1[:, None] + area2[None, :] - inter)


def assign_targets(gt_boxes, anchors):
    overlaps = iou(gt_boxes, anchors)  # [num_gt, num_anchors]
    best_gt = tf.argmax(overlaps, axis=0)  # KL601: an image without boxes has num_gt == 0
    best_anchor = tf.argmax(overlaps, axis=1)  # quiet: the anchor axis is never empty
    return best_gt, best_anchor


def best_anchor_for(gt_boxes, anchors):
    return tf.argmax(iou(gt_boxes, anchors), axis=0)  # quiet: only ever given a constant


def pick(scores, gt_boxes):
    return tf.argmax(scores, axis=0)  # quiet: `scores` is never given a data-derived value


def guarded(gt_boxes, anchors):
    if tf.size(gt_boxes) == 0:
        return tf.zeros([tf.shape(anchors)[0]], tf.int64)
    return tf.argmax(iou(gt_boxes, anchors), axis=0)  # quiet: checked for emptiness


def padded(gt_boxes, anchors):
    overlaps = tf.pad(iou(gt_boxes, anchors), [[0, 1], [0, 0]], constant_values=-1.0)
    return tf.argmax(overlaps, axis=0)  # quiet: the pad adds a row


def forward(gt_boxes, anchors):
    return match(gt_boxes, anchors)


def match(gt_boxes, anchors):
    return tf.argmax(iou(gt_boxes, anchors), axis=0)  # KL601: given data.py's boxes through forward()


def match_in_step(gt_boxes, anchors):
    return tf.argmax(iou(gt_boxes, anchors), axis=0)  # KL601: given data.py's boxes in a tf.function
