import keras


def build(num_classes):
    inputs = keras.Input((8,))
    outputs = keras.layers.Dense(num_classes)(inputs)
    return keras.Model(inputs, outputs)


def build_sklearn():
    from sklearn.svm import SVC

    return SVC()
