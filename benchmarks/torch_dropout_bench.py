#!/usr/bin/python3
"""PyTorch's CPU dropout timed on the arrays of the JMH suite, each beside a copy of the same array.

Mirrors benchmarks/src/main/java/io/github/dl4jtorch/benchmarks/*Benchmark.java: the same benchmark classes,
methods and parameters (array "type:shape", layout c/f/nchw/nhwc), the same thread count (2, ND4J's on the
reference machine) and the same settings (warm-up and measured iterations of fixed time, average time per call
with a 99.9% confidence half-width, as JMH). Prints a markdown table with ratios to the copy, and with --json
writes JMH's JSON format, which Report reads beside the JMH results:

    /usr/bin/python3 benchmarks/torch_dropout_bench.py --json torch.json
    java -cp benchmarks/target/benchmarks.jar io.github.dl4jtorch.benchmarks.Report jdk17=jmh.json torch=torch.json

What each method times (p = 0.5):
  copy          out.copy_(x) into a preallocated tensor of x's layout: the memory floor
  forward       F.dropout / F.dropout2d(x, training=True), no autograd recording; allocates its output (and, in
                PyTorch 1.13 and 2.x on the CPU, a noise tensor)
  backward      autograd's backward of forward: torch.autograd.grad(y, x, g, retain_graph=True)
  inplace       the same with inplace=True, on a tensor of its own
  alphaForward  F.alpha_dropout (element-wise) or F.feature_alpha_dropout (channel-wise)
  alphaBackward autograd's backward of F.alpha_dropout
  layerForward  an nn.Dropout module in training mode on an input that requires grad (records the graph, as in
                training)
Runs with Debian's python3-torch: apt-get install -y python3-torch libopenblas0-pthread.
"""
import argparse
import json
import math
import platform
import re
import sys
import time

import torch
import torch.nn.functional as F

P = 0.5

# (class, arrays, layouts, methods): the JMH suite's parameters; methods PyTorch has no counterpart of are left out.
SUITE = [
    ("ElementwiseDropoutBenchmark",
     ["float:256x256", "float:1024x1024", "float:4096x4096", "float:8192x8192", "double:4096x4096"],
     ["c", "f"], ["copy", "forward", "backward", "inplace"]),
    ("ChannelDropoutBenchmark",
     ["float:32x64x32x32", "float:64x64x64x64", "double:32x64x32x32"],
     ["nchw", "nhwc"], ["copy", "forward", "backward", "inplace", "alphaForward"]),
    ("AlphaDropoutBenchmark",
     ["float:4096x4096", "double:4096x4096"],
     ["c", "f"], ["alphaForward", "alphaBackward"]),
    ("SmallBatchBenchmark",
     ["float:64x256"],
     ["c", "f"], ["copy", "forward", "backward", "inplace", "layerForward"]),
]

# Student's t at 0.9995 (JMH's 99.9% two-sided interval) by degrees of freedom; 3.291 beyond.
T_9995 = {1: 636.62, 2: 31.599, 3: 12.924, 4: 8.610, 5: 6.869, 6: 5.959, 7: 5.408, 8: 5.041, 9: 4.781,
          10: 4.587, 12: 4.318, 15: 4.073, 20: 3.850, 30: 3.646}


def t_quantile(df):
    return T_9995[max(k for k in T_9995 if k <= df)] if df <= 30 else 3.291


def tensor(array, layout):
    """Uniform [0, 1) values of array's type and (N, C, H, W or 2-D) shape, held as layout says."""
    kind, shape_text = array.split(":")
    dtype = {"float": torch.float32, "double": torch.float64, "half": torch.float16}[kind]
    shape = [int(n) for n in shape_text.split("x")]
    if layout == "f":  # column-major: the transpose of a row-major tensor of the reversed shape
        return torch.rand(shape[::-1], dtype=dtype).permute(*reversed(range(len(shape))))
    x = torch.rand(shape, dtype=dtype)
    return x.contiguous(memory_format=torch.channels_last) if layout == "nhwc" else x


def calls(section, method, x):
    """The call to time, and what it needs prepared, for one (class, method) on x."""
    channel = section == "ChannelDropoutBenchmark"
    dropout = F.dropout2d if channel else F.dropout
    alpha = F.feature_alpha_dropout if channel else F.alpha_dropout
    if method == "copy":
        out = torch.empty_like(x)
        return lambda: out.copy_(x)
    if method == "forward":
        return lambda: dropout(x, P, True)
    if method == "alphaForward":
        return lambda: alpha(x, P, True)
    if method == "inplace":
        own = x.clone()
        return lambda: dropout(own, P, True, inplace=True)
    if method in ("backward", "alphaBackward"):
        leaf = x.clone().requires_grad_()
        y = (alpha if method == "alphaBackward" else dropout)(leaf, P, True)
        gradient = torch.rand_like(x)
        return lambda: torch.autograd.grad(y, leaf, gradient, retain_graph=True)
    if method == "layerForward":
        module = torch.nn.Dropout(P).train()
        leaf = x.clone().requires_grad_()
        return lambda: module(leaf)
    raise ValueError(f"no PyTorch counterpart for {section}.{method}")


def timed_iteration(call, seconds):
    """Calls until `seconds` have passed; the average ms per call."""
    count = 0
    start = time.perf_counter()
    while True:
        call()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed * 1e3 / count


def measure(call, args):
    for _ in range(args.warmup_iterations):
        timed_iteration(call, args.warmup_time)
    scores = [timed_iteration(call, args.time) for _ in range(args.iterations)]
    mean = sum(scores) / len(scores)
    if len(scores) < 2:
        return mean, float("nan")
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
    return mean, t_quantile(len(scores) - 1) * sd / math.sqrt(len(scores))


def rounded(value):
    magnitude = abs(value)
    digits = 0 if magnitude >= 10 or magnitude == 0 else 1 if magnitude >= 1 else 2 if magnitude >= 0.1 else 3
    return f"{value:.{digits}f}"


def time_text(ms, error):
    """As Report: in ms, or in µs below 0.1 ms, with the error where there is one."""
    scale, unit = (1e3, "µs") if ms < 0.1 else (1, "ms")
    spread = "" if math.isnan(error) else f" ± {rounded(error * scale)}"
    return f"{rounded(ms * scale)}{spread} {unit}"


def seconds(text):
    """A time as JMH's options take it, "500ms", "1s", or a number of seconds."""
    match = re.fullmatch(r"([0-9.]+)\s*(ms|s)?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a time: {text!r}, expected e.g. 1s, 500ms or 0.5")
    return float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)


def seconds_text(value):
    return f"{value:g} s" if value >= 1 else f"{value * 1e3:g} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmarks", nargs="?", default=".", help="regex on Class.method, as JMH's [.]")
    parser.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=V1,V2",
                        help="keep only these values of a parameter (array or layout); a class left with none is skipped")
    parser.add_argument("-wi", dest="warmup_iterations", type=int, default=2)
    parser.add_argument("-w", dest="warmup_time", type=seconds, default=1.0, help="time per warm-up iteration: 1s, 500ms, 0.5")
    parser.add_argument("-i", dest="iterations", type=int, default=5)
    parser.add_argument("-r", dest="time", type=seconds, default=0.5, help="time per measured iteration: 1s, 500ms, 0.5")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the results in JMH's JSON format to this file")
    args = parser.parse_args()
    only = dict(p.split("=", 1) for p in args.params)
    only = {name: values.split(",") for name, values in only.items()}
    pattern = re.compile(args.benchmarks)

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    environment = {"jdkVersion": f"{torch.__version__}", "jvm": sys.executable,
                   "vmName": f"PyTorch (Python {platform.python_version()}, {torch.get_num_threads()} threads)",
                   "forks": 1, "warmupIterations": args.warmup_iterations, "warmupTime": seconds_text(args.warmup_time),
                   "measurementIterations": args.iterations, "measurementTime": seconds_text(args.time)}
    print(f"- torch: {environment['vmName']} {torch.__version__}; warm-up {args.warmup_iterations} x "
          f"{environment['warmupTime']}, measured {args.iterations} x {environment['measurementTime']}")
    results = []
    copies = {}  # (array, layout) -> ms: the alpha rows take the element-wise copy, as Report does
    for section, arrays, layouts, methods in SUITE:
        chosen = [m for m in methods if pattern.search(f"{section}.{m}")]
        arrays = [a for a in arrays if a in only.get("array", arrays)]
        layouts = [l for l in layouts if l in only.get("layout", layouts)]
        if not (chosen and arrays and layouts):
            continue
        print(f"\n### {section}\n\n| array | layout | benchmark | torch | ratio to copy |\n|---|---|---|---|---|", flush=True)
        for array in arrays:
            for layout in layouts:
                x = tensor(array, layout)
                for method in chosen:
                    call = calls(section, method, x)
                    with (torch.enable_grad() if "ackward" in method or method == "layerForward" else torch.no_grad()):
                        ms, error = measure(call, args)
                    del call
                    if method == "copy":
                        copies[array, layout] = ms
                    kind, shape = array.split(":")
                    type_name = {"float": "float32", "double": "float64", "half": "float16"}[kind]
                    ratio = rounded(ms / copies[array, layout]) if (array, layout) in copies else ""
                    print(f"| {type_name} {shape} | {layout} | `{method}` | {time_text(ms, error)} | {ratio} |", flush=True)
                    results.append(dict(environment, benchmark=f"torch.{section}.{method}", mode="avgt",
                                        params={"array": array, "layout": layout},
                                        primaryMetric={"score": ms, "scoreError": "NaN" if math.isnan(error) else error,
                                                       "scoreUnit": "ms/op"}))
                del x
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
