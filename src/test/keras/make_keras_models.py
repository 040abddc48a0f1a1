#!/usr/bin/python3
"""Writes the Keras fixtures in src/test/resources/keras without Keras or TensorFlow.

Each .h5 file is what Keras 2.10's ``model.save("x.h5")`` writes for a compiled, untrained model: root attributes
``keras_version``, ``backend``, ``model_config`` and ``training_config`` (JSON, as Keras serialises it), and a
``model_weights`` group holding one group per layer (sorted by name, with a ``weight_names`` attribute, empty for
layers without weights), its datasets under the layer's name (``model_weights/conv2d/conv2d/kernel:0``), and the
``top_level_model_weights`` group. The .json file is what ``model.to_json()`` writes. Weights come from a fixed
numpy seed: with the same h5py, every run writes the same bytes.

Run from the project root with Debian's h5py (``apt-get install python3-h5py python3-numpy``):
    /usr/bin/python3 src/test/keras/make_keras_models.py
"""
import json
import os

import h5py
import numpy as np

KERAS_VERSION = "2.10.0"
BACKEND = "tensorflow"
SEED = 20240611
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "keras")

# What Keras 2.10 writes for model.compile(optimizer="sgd", loss="categorical_crossentropy").
TRAINING_CONFIG = {
    "loss": "categorical_crossentropy", "metrics": None, "weighted_metrics": None, "loss_weights": None,
    "optimizer_config": {"class_name": "SGD", "config": {
        "name": "SGD", "learning_rate": 0.01, "decay": 0.0, "momentum": 0.0, "nesterov": False}}}


class Layer:
    """One Keras layer: its serialised form and its weights in Keras's layout."""

    def __init__(self, class_name, config, weights=()):
        self.class_name = class_name
        self.config = config
        self.weights = list(weights)  # (variable name, array)

    @property
    def name(self):
        return self.config["name"]


def base_config(name, input_shape=None):
    # Keras's Layer.get_config order: name, trainable, [batch_input_shape], dtype.
    config = {"name": name, "trainable": True}
    if input_shape is not None:
        config["batch_input_shape"] = [None, *input_shape]
    config["dtype"] = "float32"
    return config


def kernel_config():
    return {"kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}


def glorot(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def small_bias(rng, units):
    # Non-zero, so a bias that fails to load shows in the outputs.
    return rng.uniform(-0.1, 0.1, size=units).astype(np.float32)


def input_layer(name, shape):
    return Layer("InputLayer", {"batch_input_shape": [None, *shape], "dtype": "float32",
                                "sparse": False, "ragged": False, "name": name})


def conv2d(rng, name, in_channels, filters, data_format, input_shape=None):
    config = base_config(name, input_shape)
    config.update({"filters": filters, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                   "data_format": data_format, "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                   "use_bias": True})
    config.update(kernel_config())
    # Keras 2 keeps a Conv2D kernel as (rows, cols, in, out) whatever the data format.
    kernel = glorot(rng, (3, 3, in_channels, filters), 9 * in_channels, 9 * filters)
    return Layer("Conv2D", config, [(name + "/kernel:0", kernel), (name + "/bias:0", small_bias(rng, filters))])


def dense(rng, name, n_in, units, activation, input_shape=None):
    config = base_config(name, input_shape)
    config.update({"units": units, "activation": activation, "use_bias": True})
    config.update(kernel_config())
    kernel = glorot(rng, (n_in, units), n_in, units)
    return Layer("Dense", config, [(name + "/kernel:0", kernel), (name + "/bias:0", small_bias(rng, units))])


def flatten(name):
    # Flatten's own data_format defaults to image_data_format(), "channels_last", in either model.
    return Layer("Flatten", {**base_config(name), "data_format": "channels_last"})


def noise_layer(class_name, name, **fields):
    # Dropout and SpatialDropout2D write rate, noise_shape and seed (SpatialDropout2D drops its data_format:
    # Keras does not serialise it); AlphaDropout and GaussianDropout rate and seed; GaussianNoise stddev and seed.
    return Layer(class_name, {**base_config(name), **fields})


def sequential(model_name, first_layer_name, input_shape, layers):
    """Sequential.get_config: an InputLayer named after the first layer, then each layer's class_name/config."""
    entries = [input_layer(first_layer_name + "_input", input_shape)] + layers
    return {"class_name": "Sequential", "config": {
        "name": model_name,
        "layers": [{"class_name": layer.class_name, "config": layer.config} for layer in entries]}}, layers


def functional(model_name, input_name, input_shape, layers):
    """Functional.get_config for a chain: each layer with its inbound node, the InputLayer among the layers."""
    entries = [input_layer(input_name, input_shape)] + layers
    serialised = []
    for previous, layer in zip([None] + entries, entries):
        inbound = [] if previous is None else [[[previous.name, 0, 0, {}]]]
        serialised.append({"class_name": layer.class_name, "config": layer.config, "name": layer.name,
                           "inbound_nodes": inbound})
    return {"class_name": "Functional", "config": {
        "name": model_name, "layers": serialised,
        "input_layers": [[input_name, 0, 0]], "output_layers": [[layers[-1].name, 0, 0]]}}, entries


def save_weights(group, named_values):
    # A name such as "conv2d/kernel:0" puts the dataset in a subgroup named after the layer, as in Keras.
    group.attrs["weight_names"] = [name.encode("utf8") for name, _ in named_values]
    for name, value in named_values:
        group.create_dataset(name, value.shape, dtype=value.dtype)[:] = value


def save(file_name, model_config, model_layers):
    """The calls Keras's hdf5_format.save_model_to_hdf5 makes, with the values above."""
    path = os.path.join(OUT_DIR, file_name)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        f.attrs["training_config"] = json.dumps(TRAINING_CONFIG).encode("utf8")
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model_layers]
        weights.attrs["backend"] = BACKEND.encode("utf8")
        weights.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for layer in sorted(model_layers, key=lambda layer: layer.name):
            save_weights(weights.create_group(layer.name), layer.weights)
        save_weights(weights.create_group("top_level_model_weights"), [])  # weights of the model itself: none
    print("wrote", os.path.relpath(path))


def save_json(file_name, model_config):
    """What Keras's model.to_json() writes: the model config plus the version and backend."""
    path = os.path.join(OUT_DIR, file_name)
    with open(path, "w") as f:
        f.write(json.dumps({**model_config, "keras_version": KERAS_VERSION, "backend": BACKEND}))
    print("wrote", os.path.relpath(path))


def conv_layers(data_format):
    """Conv2D(4, 3x3, same, relu) -> SpatialDropout2D(0.5) -> Flatten -> Dense(5, softmax) on 8x8x3 images."""
    rng = np.random.default_rng(SEED)
    input_shape = [8, 8, 3] if data_format == "channels_last" else [3, 8, 8]
    return input_shape, [
        conv2d(rng, "conv2d", 3, 4, data_format, input_shape),
        noise_layer("SpatialDropout2D", "spatial_dropout2d", rate=0.5, noise_shape=None, seed=None),
        flatten("flatten"),
        dense(rng, "dense", 8 * 8 * 4, 5, "softmax")]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)

    input_shape, layers = conv_layers("channels_last")
    save("conv_spatial_dropout_sequential.h5", *sequential("sequential", "conv2d", input_shape, layers))
    # The same layers and weights: only the model class differs. The input shape moves to the InputLayer.
    layers[0].config.pop("batch_input_shape")
    save("conv_spatial_dropout_functional.h5", *functional("model", "input_1", input_shape, layers))

    # channels_first: only the architecture (what model.to_json() writes). DL4J 1.0.0-M2.1 reads the input
    # [3, 8, 8] as channels_last (8 channels), and loading the (3, 3, 3, 4) kernel into that layer writes
    # past its parameters and crashes the JVM later, so there is no .h5 for it.
    input_shape, layers = conv_layers("channels_first")
    save_json("conv_spatial_dropout_channels_first.json", sequential("sequential", "conv2d", input_shape, layers)[0])

    rng = np.random.default_rng(SEED + 1)
    save("mlp_dropout_alpha_dropout.h5", *sequential("sequential", "dense", [12], [
        dense(rng, "dense", 12, 16, "relu", [12]),
        noise_layer("Dropout", "dropout", rate=0.3, noise_shape=None, seed=None),
        dense(rng, "dense_1", 16, 16, "selu"),
        noise_layer("AlphaDropout", "alpha_dropout", rate=0.2, seed=None),
        dense(rng, "dense_2", 16, 4, "softmax")]))

    rng = np.random.default_rng(SEED + 2)
    save("mlp_gaussian_dropout_noise.h5", *sequential("sequential", "dense", [12], [
        dense(rng, "dense", 12, 16, "relu", [12]),
        noise_layer("GaussianDropout", "gaussian_dropout", rate=0.2, seed=None),
        dense(rng, "dense_1", 16, 16, "relu"),
        noise_layer("GaussianNoise", "gaussian_noise", stddev=0.1, seed=None),
        dense(rng, "dense_2", 16, 4, "softmax")]))


if __name__ == "__main__":
    main()
