import keras


def add_metrics(keras_model, tensor):
    keras_model.add_metric(tensor, name="extra")  # KL202: every caller passes a Keras model


def add_other(recorder, tensor):
    recorder.add_metric(tensor, name="extra")  # never given a Keras model: quiet
