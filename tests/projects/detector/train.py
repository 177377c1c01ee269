from mypkg.backend import layers, models
from mypkg.nets import yolo
from mypkg.nets.yolo import make_model

inputs = layers.Input((32, 32, 3))
model = make_model(inputs, 3)
model.compile(optimizer="adam", loss="mse")
model.fit_generator(iter([]), steps_per_epoch=1)  # KL404: make_model returns a Keras model
