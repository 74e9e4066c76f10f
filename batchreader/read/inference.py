"""Running the trained CNN for scanning, with NumPy alone.

The ``.keras`` file (a zip of ``config.json`` and ``model.weights.h5``) is read
directly: each batch norm is folded into the convolution or dense layer before it,
and the forward pass is a few matrix products (NumPy's BLAS). Scanning thus never
imports TensorFlow: a worker process is ready in a fraction of a second instead of
five, and holds a tenth of the memory. TensorFlow stays the engine of training,
fine-tuning and calibration; ``tests/test_inference.py`` checks that both give the
same logits.

Only the layers the project's architecture uses are supported, in a plain chain
(:func:`batchreader.training.model.build_model`); any other model is refused with a
:class:`~batchreader.errors.ModelError` rather than run wrongly.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from batchreader.errors import ModelError

_IGNORED = {"InputLayer", "Dropout"}  # no effect at inference


@dataclass
class _Conv:
    kernel: np.ndarray  # (kh * kw * channels, filters)
    bias: np.ndarray
    size: tuple[int, int]
    relu: bool = False


@dataclass
class _Dense:
    weights: np.ndarray
    bias: np.ndarray
    relu: bool = False


@dataclass
class _Pool:
    size: int


class _Flatten:
    pass


def _snake(name: str) -> str:
    """Keras' default object name for a class (``BatchNormalization`` -> ``batch_normalization``)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


MAX_MEMBER_BYTES = {"config.json": 1 << 20, "model.weights.h5": 256 << 20}
"""The most of each member of a ``.keras`` file that is read (uncompressed): the
shipped models' are 10 KB and 2-3 MB."""


class NumpyNet:
    """A loaded model as a chain of NumPy operations; :meth:`logits` runs it."""

    def __init__(self, ops: list) -> None:
        self.ops = ops

    @classmethod
    def load(cls, path: Path) -> NumpyNet:
        """Read a ``.keras`` file written by this project's training; a file that is not
        one (a damaged archive, a configuration of another shape, members larger than
        MAX_MEMBER_BYTES allows) raises ModelError before more of it is read."""
        try:
            with zipfile.ZipFile(path) as archive:
                for name, limit in MAX_MEMBER_BYTES.items():
                    if archive.getinfo(name).file_size > limit:
                        raise ModelError(
                            f"model {path} is not one this version can run: its {name} is "
                            f"{archive.getinfo(name).file_size:,} bytes, over the {limit:,} allowed"
                        )
                config = json.loads(archive.read("config.json"))
                weights_file = io.BytesIO(archive.read("model.weights.h5"))
        except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"cannot read model {path}: {exc}") from exc
        import h5py

        try:
            with h5py.File(weights_file, "r") as h5:
                return cls(_build(config, h5))
        except (KeyError, ValueError, OSError) as exc:
            raise ModelError(f"cannot read the weights of {path}: {exc}") from exc
        except (TypeError, AttributeError, IndexError) as exc:  # a config.json of another shape
            raise ModelError(f"model {path} is not one this version can run: {exc}") from exc

    def batched_logits(self, x: np.ndarray, batch_size: int, classes: int) -> np.ndarray:
        """Logits of ``x`` in calls of exactly ``batch_size`` (the last padded): an input's
        scores never depend on which others shared its call, so resumed and parallel runs
        give identical CSVs."""
        n = len(x)
        if n == 0:
            return np.zeros((0, classes), np.float32)
        padded = np.zeros((-(-n // batch_size) * batch_size, *x.shape[1:]), np.float32)
        padded[:n] = x
        out = [self.logits(padded[i : i + batch_size]) for i in range(0, len(padded), batch_size)]
        return np.concatenate(out, axis=0)[:n]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits for an (N, height, width, channels) float32 batch."""
        x = np.asarray(x, np.float32)
        for op in self.ops:
            if isinstance(op, _Conv):
                x = _conv(x, op)
            elif isinstance(op, _Pool):
                x = _pool(x, op.size)
            elif isinstance(op, _Flatten):
                x = x.reshape(len(x), -1)
            else:
                x = x @ op.weights + op.bias
                if op.relu:
                    np.maximum(x, 0, out=x)
        return x


def _conv(x: np.ndarray, op: _Conv) -> np.ndarray:
    kh, kw = op.size
    n, h, w = x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1
    # the patches gathered as (kh, kw, C), Keras' kernel order, one shifted slice per
    # kernel tap: whole rows of channels copy at once (a transposed window view copied
    # one or two channels at a time, slow on a two-channel input)
    patches = np.concatenate([x[:, dy : dy + h, dx : dx + w, :] for dy in range(kh) for dx in range(kw)], axis=-1)
    y = patches.reshape(n * h * w, -1) @ op.kernel
    y += op.bias
    if op.relu:
        np.maximum(y, 0, out=y)
    return y.reshape(n, h, w, -1)


def _pool(x: np.ndarray, size: int) -> np.ndarray:
    """Max pooling, stride = size, 'valid': the maximum of the size*size strided views."""
    h, w = x.shape[1] // size * size, x.shape[2] // size * size
    out = x[:, 0:h:size, 0:w:size].copy()
    for dy in range(size):
        for dx in range(size):
            if dy or dx:
                np.maximum(out, x[:, dy:h:size, dx:w:size], out=out)
    return out


def _build(config: dict, h5) -> list:
    layers = config.get("config", {}).get("layers", [])
    if config.get("class_name") not in ("Functional", "Sequential") or not layers:
        raise ModelError("unsupported model: expected a Keras functional model of this project")
    ops: list = []
    used: dict[str, int] = {}
    previous = None
    for layer in layers:
        kind, cfg = layer["class_name"], layer["config"]
        # Keras stores weights under each layer's default name, numbered in layer order
        base = _snake(kind)
        count = used.get(base, 0)
        used[base] = count + 1
        key = f"layers/{base}" if count == 0 else f"layers/{base}_{count}"
        variables = [np.asarray(h5[f"{key}/vars/{i}"], np.float32) for i in range(len(h5[f"{key}/vars"]))]
        _check_chain(layer, previous)
        previous = cfg["name"]
        if kind in _IGNORED:
            continue
        if kind == "Conv2D":
            if (
                cfg.get("padding") != "valid"
                or tuple(cfg.get("strides", (1, 1))) != (1, 1)
                or tuple(cfg.get("dilation_rate", (1, 1))) != (1, 1)
                or cfg.get("groups", 1) != 1
                or cfg.get("data_format", "channels_last") != "channels_last"
            ):
                raise ModelError(f"unsupported convolution settings in layer {cfg['name']}")
            kernel = variables[0]  # (kh, kw, channels, filters)
            kh, kw, channels, filters = kernel.shape
            bias = variables[1] if cfg.get("use_bias", True) else np.zeros(filters, np.float32)
            rows = kernel.reshape(kh * kw * channels, filters)
            ops.append(_Conv(np.ascontiguousarray(rows), bias, (kh, kw), _activation(cfg)))
        elif kind == "Dense":
            weights = variables[0]
            bias = variables[1] if cfg.get("use_bias", True) else np.zeros(weights.shape[1], np.float32)
            ops.append(_Dense(weights, bias, _activation(cfg)))
        elif kind == "BatchNormalization":
            gamma, beta, mean, variance = variables
            scale = gamma / np.sqrt(variance + cfg.get("epsilon", 1e-3))
            last = ops[-1] if ops else None
            if not isinstance(last, (_Conv, _Dense)) or last.relu:
                raise ModelError(f"unsupported model: batch norm {cfg['name']} does not follow a linear layer")
            if isinstance(last, _Conv):
                last.kernel = (last.kernel * scale).astype(np.float32)
            else:
                last.weights = (last.weights * scale).astype(np.float32)
            last.bias = ((last.bias - mean) * scale + beta).astype(np.float32)
        elif kind == "ReLU":
            last = ops[-1] if ops else None
            if not isinstance(last, (_Conv, _Dense)) or any(cfg.get(k) for k in ("max_value", "negative_slope")):
                raise ModelError(f"unsupported ReLU layer {cfg['name']}")
            last.relu = True
        elif kind == "MaxPooling2D":
            size = tuple(cfg.get("pool_size", (2, 2)))
            strides = tuple(cfg.get("strides") or size)
            if size != strides or size[0] != size[1] or cfg.get("padding") != "valid":
                raise ModelError(f"unsupported pooling settings in layer {cfg['name']}")
            ops.append(_Pool(size[0]))
        elif kind == "Flatten":
            ops.append(_Flatten())
        else:
            raise ModelError(f"unsupported layer type {kind} ({cfg['name']})")
    return ops


def _activation(cfg: dict) -> bool:
    activation = cfg.get("activation", "linear")
    if activation not in ("linear", "relu"):
        raise ModelError(f"unsupported activation {activation} in layer {cfg['name']}")
    return activation == "relu"


def _check_chain(layer: dict, previous: str | None) -> None:
    """Refuse models that are not a plain chain of layers."""
    if previous is None:
        return
    sources = [
        arg.get("config", {}).get("keras_history", [None])[0]
        for node in layer.get("inbound_nodes", [])
        for arg in node.get("args", [])
        if isinstance(arg, dict)
    ]
    if sources != [previous]:
        raise ModelError(f"unsupported model: layer {layer['config']['name']} does not simply follow {previous}")
