import keras

from metrics import add_metrics, add_other
from nets import mynet


class Recorder:
    def add_metric(self, value, name):
        self.last = (name, value)


model = mynet.build(10)
add_metrics(model, keras.ops.ones((1,)))
add_other(Recorder(), 1.0)
model.fit_generator(iter([]), steps_per_epoch=1, nb_epoch=2)  # KL404 (and KL403 for nb_epoch)

svm = mynet.build_sklearn()
svm.fit_generator(iter([]))  # not a Keras model: quiet
