"""The engines bench-teacher puts beside augpro: ONNX Runtime, PyTorch (transformers) and the
numpy reference, each computing the same sentence embedding as augpro's teacher stage
(all-MiniLM-L6-v2 last hidden state → masked mean pooling → L2 normalisation).

Subcommands:
  export MODEL_DIR OUT.onnx
      Exports the model once with torch.onnx (a wrapper module taking keyword arguments,
      attn_implementation="eager", dynamic batch and sequence axes), reloads the torch model
      and checks ORT against it on a padded batch of real sentences (exits 1 above 1e-4).
  tokenize MODEL_DIR CORPUS.txt.xz COUNT STRIDE MAX_LENGTH
      Prints {"sequences": [...]} for every STRIDE-th line (COUNT lines), HF tokenizers.
  serve MODEL_DIR --onnx OUT.onnx --threads N --engines ort,torch,numpy
      Reads one JSON request per line on stdin and answers one JSON line:
        {"load": NAME, "batches": [[{"input_ids", "token_type_ids"}, ...], ...]}
            → {"ok": true}  (each batch is padded to its longest member with a mask)
        {"time": NAME, "engine": ENGINE} → {"seconds": S}  (one pass over all batches)
"""
import argparse
import json
import lzma
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def padded(batch):
    length = max(len(s["input_ids"]) for s in batch)
    ids = np.zeros((len(batch), length), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, s in enumerate(batch):
        n = len(s["input_ids"])
        ids[row, :n] = s["input_ids"]
        types[row, :n] = s["token_type_ids"]
        mask[row, :n] = 1
    return ids, types, mask


def sentence_module(folder):
    """A torch module: keyword inputs → mean-pooled, L2-normalised embedding."""
    import torch
    from transformers import AutoModel

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()

        def forward(self, input_ids, token_type_ids, attention_mask):
            h = self.bert(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask).last_hidden_state
            w = attention_mask.unsqueeze(-1).to(h.dtype)
            e = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(e, dim=-1)

    return SentenceEmbedding().eval()


def ort_session(path, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(args):
    import torch
    folder = Path(args.model)
    module = sentence_module(folder)
    ids, types, mask = padded(tokenize_lines(folder, ["a short sentence .", "a somewhat longer sentence to pad the other one against ."], 128))
    inputs = (torch.tensor(ids), torch.tensor(types), torch.tensor(mask))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module, inputs, str(out), input_names=["input_ids", "token_type_ids", "attention_mask"],
            output_names=["embedding"], opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in ["input_ids", "token_type_ids", "attention_mask"]})
    # The export leaves the traced module altered: compare against a fresh load.
    reference = sentence_module(folder)
    lines = [line for line in lzma.open(HERE.parent.parent / "fixtures/tokenizer/english_corpus.txt.xz", "rt").read().splitlines()[::997][:32]]
    ids, types, mask = padded(tokenize_lines(folder, lines, 128))
    with torch.no_grad():
        want = reference(torch.tensor(ids), torch.tensor(types), torch.tensor(mask)).numpy()
    got = ort_session(out, 2).run(None, {"input_ids": ids, "token_type_ids": types, "attention_mask": mask})[0]
    difference = float(np.abs(got - want).max())
    print(json.dumps({"onnx": str(out), "max_abs_diff_vs_torch": difference, "lengths": [int(mask.sum(1).min()), int(mask.sum(1).max())]}))
    if difference > 1e-4:
        out.unlink()
        sys.exit(f"exported model differs from transformers by {difference}")


def tokenize_lines(folder, lines, max_length):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return [{"input_ids": e.ids, "token_type_ids": e.type_ids} for e in tokenizer.encode_batch(lines)]


def engine_forwards(args):
    """name → forward(ids, types, mask) for the requested engines."""
    forwards = {}
    names = args.engines.split(",")
    if "ort" in names:
        session = ort_session(args.onnx, args.threads)
        forwards["ort"] = lambda ids, types, mask: session.run(None, {"input_ids": ids, "token_type_ids": types, "attention_mask": mask})[0]
    if "torch" in names:
        import torch
        torch.set_num_threads(args.threads)
        module = sentence_module(Path(args.model))

        def torch_forward(ids, types, mask):
            with torch.inference_mode():
                return module(torch.from_numpy(ids), torch.from_numpy(types), torch.from_numpy(mask)).numpy()
        forwards["torch"] = torch_forward
    if "numpy" in names:
        sys.path.insert(0, str(HERE.parent.parent / "fixtures/teacher"))
        from bert_reference import numpy_forward
        forwards["numpy"] = numpy_forward(Path(args.model))
    return forwards


def serve(args):
    forwards = engine_forwards(args)
    workloads = {}
    print(json.dumps({"ready": sorted(forwards)}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "load" in request:
            workloads[request["load"]] = [padded(batch) for batch in request["batches"]]
            reply = {"ok": True}
        else:
            forward = forwards[request["engine"]]
            batches = workloads[request["time"]]
            start = time.perf_counter()
            for ids, types, mask in batches:
                forward(ids, types, mask)
            reply = {"seconds": time.perf_counter() - start}
        print(json.dumps(reply), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("model")
    ex.add_argument("out")
    tok = sub.add_parser("tokenize")
    tok.add_argument("model")
    tok.add_argument("corpus")
    tok.add_argument("count", type=int)
    tok.add_argument("stride", type=int)
    tok.add_argument("max_length", type=int)
    sv = sub.add_parser("serve")
    sv.add_argument("model")
    sv.add_argument("--onnx", default="")
    sv.add_argument("--threads", type=int, default=2)
    sv.add_argument("--engines", default="ort,torch")
    args = parser.parse_args()
    if args.command == "export":
        export(args)
    elif args.command == "tokenize":
        lines = lzma.open(args.corpus, "rt", encoding="utf-8").read().splitlines()[::args.stride][:args.count]
        print(json.dumps({"sequences": tokenize_lines(args.model, lines, args.max_length)}))
    else:
        serve(args)


if __name__ == "__main__":
    main()
