#!/usr/bin/python3
"""Write small deterministic ONNX models with the real input/output names of the layouts ServerlessMed reads.

    /usr/bin/python3 scripts/make-test-models.py [OUT_DIR]     (default: models/)

OUT_DIR/encoders/tiny-gray/        model.json + model.onnx   image encoder (1x64x64 -> 32)
OUT_DIR/encoders/{cxr,path,derm}-like/  NHWC encoders with HAI-DEF shapes (512x512x1 -> 8x8x1376 + 32x768;
                                   224x224x3 -> 384; 448x448x3 -> 6144)
OUT_DIR/diffusion/tiny-sd-fp16/    the same with float16 inputs/outputs and a float timestep (as fp16 exports are)
OUT_DIR/diffusion/bench-sd/        64x64 latents, a 128-channel conv stack in the UNet (~25 ms a guided step on 2 CPU
                                   cores, about what Stable Diffusion 1.5's UNet takes per step on one H100 in fp16):
                                   for bench/generation-glue.sh
OUT_DIR/diffusion/tiny-sd/         optimum's export layout of a diffusers Stable Diffusion pipeline:
    model_index.json, scheduler/scheduler_config.json, tokenizer/{vocab.json,merges.txt,...},
    text_encoder/model.onnx (input_ids -> last_hidden_state, pooler_output),
    unet/model.onnx (sample, timestep, encoder_hidden_states -> out_sample),
    vae_decoder/model.onnx (latent_sample -> sample), vae_encoder/model.onnx (sample -> latent_sample)

Needs Debian's python3-onnx and python3-numpy. Weights come from a fixed seed: the same bytes every run.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
SEED = 20261122


def save(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.ir_version = 8
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def encoder(out, rng):
    d = os.path.join(out, "encoders", "tiny-gray")
    w1 = rng.normal(0, 0.5, (8, 1, 4, 4))
    b1 = rng.normal(0, 0.1, (8,))
    w2 = rng.normal(0, 0.3, (16, 8, 4, 4))
    b2 = rng.normal(0, 0.1, (16,))
    w3 = rng.normal(0, 0.2, (256, 32))
    b3 = rng.normal(0, 0.1, (32,))
    nodes = [
        helper.make_node("Conv", ["pixel_values", "w1", "b1"], ["c1"], strides=[4, 4], kernel_shape=[4, 4]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], strides=[4, 4], kernel_shape=[4, 4]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Flatten", ["r2"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "w3", "b3"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_gray_encoder",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 1, 64, 64])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 32])],
        [init("w1", w1), init("b1", b1), init("w2", w2), init("b2", b2), init("w3", w3), init("b3", b3)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="serverlessmed-test-models"), os.path.join(d, "model.onnx"))
    manifest = {
        "id": "tiny-gray",
        "version": "1",
        "task": "image-embedding",
        "onnx": "model.onnx",
        "input": {"name": "pixel_values", "layout": "NCHW", "channels": 1, "height": 64, "width": 64},
        "preprocessing": {"voi": "dataset-window", "resize": "bilinear", "mean": [0.5], "std": [0.25]},
        "outputs": [{"name": "embedding", "shape": [32]}],
        "appliesTo": {"modalities": [], "sopClasses": []},
    }
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)


def haidef_encoder(out, rng, name, size, channels, outputs, pool):
    """An NHWC encoder with the input/output shapes of a HAI-DEF model (values are a fixed random projection).
    outputs: list of (name, kind, shape) with kind "map" ([b, h, w, C] from pooled features) or "tokens"
    ([b, T, D] = projected mean feature + a learned per-token offset) or "vector" ([b, D])."""
    d = os.path.join(out, "encoders", name)
    cells = size // pool
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("AveragePool", ["nchw"], ["pooled"], kernel_shape=[pool, pool], strides=[pool, pool]),
    ]
    inits, outs, manifest_outputs = [], [], []
    for oname, kind, shape in outputs:
        if kind == "map":
            feat = shape[-1]
            inits.append(init(f"w_{oname}", rng.normal(0, 0.5, (feat, channels, 1, 1))))
            nodes += [helper.make_node("Conv", ["pooled", f"w_{oname}"], [f"c_{oname}"], kernel_shape=[1, 1]),
                      helper.make_node("Tanh", [f"c_{oname}"], [f"t_{oname}"]),
                      helper.make_node("Transpose", [f"t_{oname}"], [oname], perm=[0, 2, 3, 1])]
        else:
            dim = shape[-1]
            inits.append(init(f"w_{oname}", rng.normal(0, 0.5, (dim, channels, 1, 1))))
            nodes += [helper.make_node("Conv", ["pooled", f"w_{oname}"], [f"c_{oname}"], kernel_shape=[1, 1]),
                      helper.make_node("ReduceMean", [f"c_{oname}"], [f"m_{oname}"], axes=[2, 3], keepdims=0),
                      helper.make_node("Tanh", [f"m_{oname}"], [f"v_{oname}"])]
            if kind == "tokens":
                inits.append(init(f"b_{oname}", rng.normal(0, 0.1, tuple(shape))))
                inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), f"ax_{oname}"))
                nodes += [helper.make_node("Unsqueeze", [f"v_{oname}", f"ax_{oname}"], [f"u_{oname}"]),
                          helper.make_node("Add", [f"u_{oname}", f"b_{oname}"], [oname])]
            else:
                nodes.append(helper.make_node("Identity", [f"v_{oname}"], [oname]))
        outs.append(helper.make_tensor_value_info(oname, TensorProto.FLOAT, ["batch", *shape]))
        manifest_outputs.append({"name": oname, "shape": list(shape)})
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", size, size, channels])], outs, inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="serverlessmed-test-models"), os.path.join(d, "model.onnx"))
    manifest = {
        "id": name, "version": "1", "task": "image-embedding", "onnx": "model.onnx",
        "input": {"name": "image", "layout": "NHWC", "channels": channels, "height": size, "width": size},
        "preprocessing": {"voi": "dataset-window", "resize": "bilinear", "mean": [0.5] * channels, "std": [0.5] * channels},
        "outputs": manifest_outputs,
        "appliesTo": {"modalities": [], "sopClasses": []},
    }
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)


def bytes_to_unicode():
    """CLIP/GPT-2's reversible byte -> printable unicode map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


WORDS = ["a", "an", "the", "of", "image", "ct", "mr", "cr", "dx", "us", "ot", "sm", "chest", "head", "brain",
         "abdomen", "knee", "lung", "heart", "liver", "x", "ray", "scan", "axial", "view", "with", "normal",
         "findings", "no", "synthetic", "medical", "photo", "frontal", "lateral", "body", "part", "unknown"]


def tokenizer(d):
    units = bytes_to_unicode()
    vocab = units + [u + "</w>" for u in units]
    merges = []
    # Merge every word's characters left to right, the last merge producing word</w>.
    for w in WORDS:
        parts = list(w[:-1]) + [w[-1] + "</w>"] if len(w) > 1 else None
        if parts is None:
            continue
        cur = parts[0]
        for p in parts[1:]:
            if f"{cur} {p}" not in merges:
                merges.append(f"{cur} {p}")
            cur = cur + p
            if cur not in vocab:
                vocab.append(cur)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, f)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "do_lower_case": True,
                   "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, f)
    return len(vocab)


def to_fp16(nodes, inputs, outputs):
    """Make graph inputs/outputs named in `inputs`/`outputs` float16 around an fp32 body (as fp16 exports look from
    outside): Cast after each such input, Cast before each such output."""
    pre, post = [], []
    for name in inputs:
        for n in nodes:
            for k, x in enumerate(n.input):
                if x == name:
                    n.input[k] = name + "_32"
        pre.append(helper.make_node("Cast", [name], [name + "_32"], to=TensorProto.FLOAT))
    for name in outputs:
        for n in nodes:
            for k, x in enumerate(n.output):
                if x == name:
                    n.output[k] = name + "_32"
            for k, x in enumerate(n.input):
                if x == name:
                    n.input[k] = name + "_32"
        post.append(helper.make_node("Cast", [name + "_32"], [name], to=TensorProto.FLOAT16))
    return pre + nodes + post


def diffusion(out, rng, name="tiny-sd", lat=8, img=64, width=0, fp16=False):
    """width > 0 adds a stack of width-channel 3x3 convolutions to the UNet (the bench model); fp16 makes every float input/output float16 and the timestep a float, like fp16 exports."""
    d = os.path.join(out, "diffusion", name)
    hidden, seq = 32, 77
    ft = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    vocab_size = tokenizer(os.path.join(d, "tokenizer"))

    # text_encoder: token + position embeddings, tanh; pooled = mean over the sequence.
    emb = rng.normal(0, 0.5, (vocab_size, hidden))
    pos = rng.normal(0, 0.1, (seq, hidden))
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["ids64"], to=TensorProto.INT64),
        helper.make_node("Gather", ["emb", "ids64"], ["tok"], axis=0),
        helper.make_node("Add", ["tok", "pos"], ["sum"]),
        helper.make_node("Tanh", ["sum"], ["last_hidden_state"]),
        helper.make_node("ReduceMean", ["last_hidden_state"], ["pooler_output"], axes=[1], keepdims=0),
    ]
    if fp16:
        nodes = to_fp16(nodes, [], ["last_hidden_state", "pooler_output"])
    g = helper.make_graph(nodes, "text_encoder",
                          [helper.make_tensor_value_info("input_ids", TensorProto.INT32, ["batch", seq])],
                          [helper.make_tensor_value_info("last_hidden_state", ft, ["batch", seq, hidden]),
                           helper.make_tensor_value_info("pooler_output", ft, ["batch", hidden])],
                          [init("emb", emb), init("pos", pos)])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]), os.path.join(d, "text_encoder", "model.onnx"))

    # unet: eps = tanh(conv(sample)) * 0.5 + text bias + timestep bias  (shape-faithful, numerically tame)
    wc = rng.normal(0, 0.2, (4, 4, 3, 3))
    bc = np.zeros((4,))
    wt = rng.normal(0, 0.3, (hidden, 4))
    extra_inits = []
    body = "sample"
    stack = []
    if width:
        # sample -> width channels -> (width -> width) x 2 -> 4 channels, ReLU between: a few GFLOP at 64x64.
        dims = [(width, 4), (width, width), (width, width), (4, width)]
        for k, (co, ci) in enumerate(dims):
            w = rng.normal(0, 1.0 / np.sqrt(ci * 9), (co, ci, 3, 3))
            extra_inits += [init(f"ws{k}", w), init(f"bs{k}", np.zeros((co,)))]
            stack.append(helper.make_node("Conv", [body, f"ws{k}", f"bs{k}"], [f"s{k}"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]))
            body = f"s{k}"
            if k < len(dims) - 1:
                stack.append(helper.make_node("Relu", [body], [f"r{k}"]))
                body = f"r{k}"
    nodes = stack + [
        helper.make_node("Conv", [body, "wc", "bc"], ["conv"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Tanh", ["conv"], ["tc"]),
        helper.make_node("Mul", ["tc", "half"], ["tch"]),
        helper.make_node("ReduceMean", ["encoder_hidden_states"], ["ctx"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["ctx", "wt"], ["cb"]),
        helper.make_node("Reshape", ["cb", "cshape"], ["cb4"]),
        helper.make_node("Add", ["tch", "cb4"], ["h"]),
        helper.make_node("Cast", ["timestep"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["tf", "tscale"], ["ts"]),
        helper.make_node("Sin", ["ts"], ["tsin"]),
        helper.make_node("Reshape", ["tsin", "tshape"], ["t4"]),
        helper.make_node("Mul", ["t4", "tamp"], ["tb"]),
        helper.make_node("Add", ["h", "tb"], ["out_sample"]),
    ]
    if fp16:
        nodes = to_fp16(nodes, ["sample", "encoder_hidden_states"], ["out_sample"])
    g = helper.make_graph(nodes, "unet",
                          [helper.make_tensor_value_info("sample", ft, ["batch", 4, lat, lat]),
                           helper.make_tensor_value_info("timestep", TensorProto.FLOAT if fp16 else TensorProto.INT64, ["steps"]),
                           helper.make_tensor_value_info("encoder_hidden_states", ft, ["batch", seq, hidden])],
                          [helper.make_tensor_value_info("out_sample", ft, ["batch", 4, lat, lat])],
                          extra_inits + [init("wc", wc), init("bc", bc), init("wt", wt), init("half", [0.5]),
                           numpy_helper.from_array(np.array([-1, 4, 1, 1], dtype=np.int64), "cshape"),
                           numpy_helper.from_array(np.array([-1, 1, 1, 1], dtype=np.int64), "tshape"),
                           init("tscale", [0.01]), init("tamp", [0.1])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]), os.path.join(d, "unet", "model.onnx"))

    # vae_decoder: nearest upsample x8 then 3x3 conv to RGB, tanh to [-1, 1].
    wd = rng.normal(0, 0.02, (3, 4, 3, 3))  # small: latents arrive scaled by 1/0.18215
    bd = rng.normal(0, 0.05, (3,))
    nodes = [
        helper.make_node("Resize", ["latent_sample", "", "scales"], ["up"], mode="nearest"),
        helper.make_node("Conv", ["up", "wd", "bd"], ["conv"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Tanh", ["conv"], ["sample"]),
    ]
    if fp16:
        nodes = to_fp16(nodes, ["latent_sample"], [])
    g = helper.make_graph(nodes, "vae_decoder",
                          [helper.make_tensor_value_info("latent_sample", ft, ["batch", 4, lat, lat])],
                          [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, img, img])],
                          [init("wd", wd), init("bd", bd), init("scales", [1, 1, img // lat, img // lat])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]), os.path.join(d, "vae_decoder", "model.onnx"))

    # vae_encoder: 8x8 average pool then 1x1 conv to 4 latent channels.
    we = rng.normal(0, 0.5, (4, 3, 1, 1))
    be = np.zeros((4,))
    nodes = [
        helper.make_node("AveragePool", ["sample"], ["pool"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Conv", ["pool", "we", "be"], ["latent_sample"], kernel_shape=[1, 1]),
    ]
    g = helper.make_graph(nodes, "vae_encoder",
                          [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, img, img])],
                          [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", 4, lat, lat])],
                          [init("we", we), init("be", be)])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]), os.path.join(d, "vae_encoder", "model.onnx"))

    for sub in ("vae_decoder", "vae_encoder"):
        with open(os.path.join(d, sub, "config.json"), "w") as f:
            json.dump({"_class_name": "AutoencoderKL", "latent_channels": 4, "scaling_factor": 0.18215, "sample_size": img}, f, indent=2)
    with open(os.path.join(d, "unet", "config.json"), "w") as f:
        json.dump({"_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "sample_size": lat, "cross_attention_dim": hidden}, f, indent=2)
    os.makedirs(os.path.join(d, "scheduler"), exist_ok=True)
    with open(os.path.join(d, "scheduler", "scheduler_config.json"), "w") as f:
        json.dump({"_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0", "beta_start": 0.00085, "beta_end": 0.012,
                   "beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "prediction_type": "epsilon",
                   "set_alpha_to_one": False, "steps_offset": 1, "clip_sample": False, "timestep_spacing": "leading"}, f, indent=2)
    with open(os.path.join(d, "model_index.json"), "w") as f:
        json.dump({"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.30.0",
                   "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["optimum", "ORTModelForFeatureExtraction"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["optimum", "ORTModel"],
                   "vae_decoder": ["optimum", "ORTModel"], "vae_encoder": ["optimum", "ORTModel"]}, f, indent=2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
    rng = np.random.RandomState(SEED)
    encoder(out, rng)
    diffusion(out, rng)
    diffusion(out, np.random.RandomState(SEED + 1), name="tiny-sd-fp16", fp16=True)
    # The HAI-DEF family's shapes: CXR Foundation-like (gray chest X-ray -> 8x8x1376 map and 32x768 tokens),
    # Path Foundation-like (224x224 RGB patch -> 384), Derm Foundation-like (448x448 RGB -> 6144).
    haidef_encoder(out, np.random.RandomState(SEED + 3), "cxr-like", 512, 1, [("image_feature", "map", (8, 8, 1376)), ("contrastive_embedding", "tokens", (32, 768))], 64)
    haidef_encoder(out, np.random.RandomState(SEED + 4), "path-like", 224, 3, [("embedding", "vector", (384,))], 14)
    haidef_encoder(out, np.random.RandomState(SEED + 5), "derm-like", 448, 3, [("embedding", "vector", (6144,))], 28)
    diffusion(out, np.random.RandomState(SEED + 2), name="bench-sd", lat=64, img=512, width=128)
    print(f"test models written to {out}")


if __name__ == "__main__":
    main()
