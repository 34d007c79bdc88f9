#!/usr/bin/env bash
# perf/onnx-reverse-layers.sh [ROUNDS] -- what a 'reverse' layer under a 'forward' one costs in `mklrnn run`
# (OnnxRecurrentModel runs such a stack one layer at a time, the reverse layer on time-reversed copies) against the
# same 2-layer LSTM (I = H = 256) with both layers forward: interleaved rounds over one (T 300, N 128) input, wall
# time of the whole command (process start included, the same for both); prints "model seconds". Needs ./build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir" <<'PY'
import json, struct, sys
import numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
out, rng, I, H, T, N = sys.argv[1], np.random.default_rng(1), 256, 256, 300, 128
for name, directions in (("ff", ["forward", "forward"]), ("fr", ["forward", "reverse"])):
    nodes, inits, x = [], [], "input"
    for l, d in enumerate(directions):
        for w, shape in (("W", (1, 4 * H, I if l == 0 else H)), ("R", (1, 4 * H, H)), ("B", (1, 8 * H))):
            inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.05).astype(np.float32), f"{w}{l}"))
        inits.append(numpy_helper.from_array(np.array([1], np.int64), f"axis{l}"))
        nodes += [helper.make_node("LSTM", [x, f"W{l}", f"R{l}", f"B{l}"], [f"Y{l}"], name=f"lstm{l}", hidden_size=H, direction=d),
                  helper.make_node("Squeeze", [f"Y{l}", f"axis{l}"], [f"S{l}"], name=f"squeeze{l}")]
        x = f"S{l}"
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["T", "N", I])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["T", "N", H])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, f"{out}/{name}.onnx")
x = rng.standard_normal((T, N, I)).astype(np.float32)
header = json.dumps({"input": {"dtype": "F32", "shape": [T, N, I], "data_offsets": [0, x.nbytes]}}).encode()
open(f"{out}/in.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + x.tobytes())
PY
for round in $(seq "${1:-5}"); do
  for m in ff fr; do
    start=$(date +%s.%N)
    dotnet src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll run --checkpoint "$dir/$m.onnx" --input "$dir/in.safetensors" \
      --output "$dir/out.safetensors" --threads 2 > /dev/null
    echo "$m $(echo "$(date +%s.%N) - $start" | bc)"
  done
done
