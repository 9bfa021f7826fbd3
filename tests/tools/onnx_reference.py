#!/usr/bin/python3
"""onnx_reference.py MODEL.onnx INPUT_NAME INPUT.npy OUTPUT_NAME OURS.npy: evaluates the ONNX graph on the same
preprocessed tensors (INPUT.npy: frames x the input's shape, as smed embed --save-input writes them) without ONNX
Runtime and exits 0 when OURS (frames x the output's shape) matches within 1e-5. Uses onnx's reference evaluator
when the installed onnx has it (1.13+); Debian's python3-onnx does not, so a small numpy interpreter of the
operators our test encoders use (Transpose, AveragePool, Conv 1x1/strided, Tanh, Relu, ReduceMean, Unsqueeze, Add,
Identity, Flatten, Gemm) stands in, reading the graph with onnx itself."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model_path, input_name, input_path, output_name, ours_path = sys.argv[1:6]
model = onnx.load(model_path)
x = np.load(input_path).astype(np.float32)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, strides):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    sh, sw = strides
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, o, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw].astype(np.float64)
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(np.float64))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def run(graph, feeds):
    env = dict(feeds)
    env.update({t.name: numpy_helper.to_array(t) for t in graph.initializer})
    for node in graph.node:
        a = attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Transpose":
            y = np.transpose(ins[0], a["perm"])
        elif op == "AveragePool":
            kh, kw = a["kernel_shape"]
            n, c, h, w = ins[0].shape
            y = ins[0].astype(np.float64).reshape(n, c, h // kh, kh, w // kw, kw).mean(axis=(3, 5))
        elif op == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a.get("strides", [1, 1]))
        elif op == "Tanh":
            y = np.tanh(ins[0])
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "ReduceMean":
            y = ins[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Unsqueeze":
            y = np.expand_dims(ins[0], tuple(int(v) for v in ins[1]))
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Identity":
            y = ins[0]
        elif op == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "Gemm":
            y = ins[0] @ ins[1] + (ins[2] if len(ins) > 2 else 0)
        else:
            sys.exit(f"operator {op} is not in this reference interpreter")
        env[node.output[0]] = y
    return env


try:
    from onnx.reference import ReferenceEvaluator  # onnx >= 1.13
    ref = ReferenceEvaluator(model).run([output_name], {input_name: x})[0]
except ImportError:
    ref = run(model.graph, {input_name: x})[output_name]
ours = np.load(ours_path)
if ref.shape != ours.shape:
    print(f"shape {ours.shape} != reference {ref.shape}")
    sys.exit(1)
diff = float(np.max(np.abs(np.asarray(ref, dtype=np.float64) - ours.astype(np.float64))))
if diff > 1e-5:
    print(f"max |difference| {diff:.3g} > 1e-5")
    sys.exit(1)
print(f"max |difference| {diff:.3g}")
