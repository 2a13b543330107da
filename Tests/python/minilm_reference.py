#!/usr/bin/env python3
"""Independent reference for grok's embedding model (all-MiniLM-L6-v2).

Token ids come from the Hugging Face `tokenizers` package reading the model's own tokenizer.json; the forward
pass is written here in NumPy from the safetensors weights (read by the `safetensors` package), following the
BERT paper and sentence-transformers' pooling (mean over the attention mask, then L2 normalisation). Nothing here
shares code with the Swift implementation it checks.

    .venv/bin/python Tests/python/minilm_reference.py fixtures     # rewrites Tests/Fixtures/grok/*.json
    .venv/bin/python Tests/python/minilm_reference.py embed "text" # prints one vector (JSON)
    .venv/bin/python Tests/python/minilm_reference.py --bench      # one JSON object of timings (b00t-bench)

The model folder is $B00T_MODEL_DIR or ~/.cache/b00t/models/all-MiniLM-L6-v2 (`make model`).
"""
import json
import math
import os
import sys
import time

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_TOKENS = 256
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Fixtures", "grok")


def model_dir():
    return os.environ.get("B00T_MODEL_DIR") or os.path.expanduser("~/.cache/b00t/models/all-MiniLM-L6-v2")


def load_tokenizer(folder):
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tok.no_padding()  # tokenizer.json pads to 128; the attention mask would hide it, but ids must be exact
    tok.enable_truncation(max_length=MAX_TOKENS)
    return tok


def erf(x):
    """erf through Numerical Recipes' Chebyshev erfc (fractional error < 1.2e-7), vectorised in NumPy."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


class MiniLM:
    def __init__(self, folder):
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}

    def layer_norm(self, x, prefix):
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def linear(self, x, prefix):
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    def encode_ids(self, ids, dtype=np.float64):
        """One sentence (no padding): returns the normalised 384-dim sentence vector."""
        n = len(ids)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0]).astype(dtype)
        x = self.layer_norm(x, "embeddings.LayerNorm")
        heads, dim = 12, 32
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            q = self.linear(x, p + "attention.self.query").reshape(n, heads, dim).transpose(1, 0, 2)
            k = self.linear(x, p + "attention.self.key").reshape(n, heads, dim).transpose(1, 0, 2)
            v = self.linear(x, p + "attention.self.value").reshape(n, heads, dim).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(dim)
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(n, heads * dim)
            x = self.layer_norm(self.linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = self.linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
            x = self.layer_norm(self.linear(h, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = x.mean(axis=0)
        return pooled / max(np.linalg.norm(pooled), 1e-12)


def encode(model, tok, texts, dtype=np.float64):
    return [model.encode_ids(tok.encode(t).ids, dtype) for t in texts]


# At least 30 varied strings: punctuation, accents, CJK, emoji, long words, numbers, empty, whitespace, controls.
TOKEN_CASES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "",
    "   ",
    "\t\n  leading and trailing whitespace \r\n",
    "Crème brûlée à la française, naïve café",
    "ÀÉÎÕÜ ñ ç ø å ß",
    "北京欢迎你",
    "日本語のテキストと English mixed",
    "한국어 문장입니다",
    "emoji 🚀🔥 test 👍🏽",
    "Numbers: 3.14159, 1,000,000 and 42nd",
    "version v1.12.4 of qdrant/qdrant:v1.12.4",
    "supercalifragilisticexpialidocious",
    "a" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis is long",
    "don't stop-believing; it's (really) [great]!?",
    "snake_case_identifier and camelCaseIdentifier",
    "b00t grok learn \"text\" -t orchestrator",
    "e-mail: someone@example.com, url: https://example.com/a?b=c#d",
    "$100 & 50% off — “quoted” ‘single’ … ellipsis",
    "Tab\tseparated\tvalues",
    "zero\u200bwidth space and soft\u00adhyphen",
    "control\u0007bell and null\u0000byte",
    "Ελληνικά κείμενο με τόνους",
    "Русский текст с ёлкой",
    "עברית ועוד",
    "مرحبا بالعالم",
    "हिन्दी पाठ",
    "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ １２３",
    "UPPER lower MiXeD",
    "redis-server --port 6379 --save ''",
    "fn main() { println!(\"{}\", x); }",
    "word " * 300,
    "ﬁ ligature and Å (angstrom sign) and K (kelvin)",
    "unaffable unbelievable tokenization",
]

EMBED_CASES = [
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "The new movie is awesome",
    "The new movie is so great",
    "The cat sits outside",
    "A man is playing guitar",
    "How do I start the vector database?",
    "Qdrant listens on port 6333 and stores collections of vectors.",
    "Crème brûlée à la française",
    "北京欢迎你",
    "",
    "word " * 300,
    "redis-server refused to start because the port was already in use",
]


def write_fixtures():
    folder = model_dir()
    tok = load_tokenizer(folder)
    model = MiniLM(folder)
    os.makedirs(FIXTURES, exist_ok=True)
    tokens = [{"text": t, "ids": tok.encode(t).ids} for t in TOKEN_CASES]
    with open(os.path.join(FIXTURES, "tokenizer_cases.json"), "w", encoding="utf-8") as f:
        generator = "Tests/python/minilm_reference.py (tokenizers " + __import__("tokenizers").__version__ + ")"
        f.write('{"generator": ' + json.dumps(generator) + ',\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(case, ensure_ascii=False) for case in tokens))
        f.write("\n]}\n")
    vectors = encode(model, tok, EMBED_CASES)
    with open(os.path.join(FIXTURES, "embedding_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "Tests/python/minilm_reference.py (NumPy " + np.__version__ + ", float64)",
                   "cases": [{"text": t, "vector": [round(float(x), 7) for x in v]}
                             for t, v in zip(EMBED_CASES, vectors)]}, f, ensure_ascii=False)
    print(f"wrote {len(tokens)} token cases and {len(vectors)} embedding cases to {FIXTURES}")


def bench():
    """Times the NumPy reference on the same sentences the Swift bench uses (one JSON object on stdout)."""
    folder = model_dir()
    tok = load_tokenizer(folder)
    model = MiniLM(folder)
    sentences = [line.strip() for line in open(os.path.join(FIXTURES, "bench_sentences.txt"), encoding="utf-8")
                 if line.strip()]
    encode(model, tok, sentences[:4], np.float32)  # warm-up
    start = time.perf_counter()
    encode(model, tok, sentences, np.float32)  # float32 like the Swift code; one sentence at a time
    elapsed = time.perf_counter() - start
    print(json.dumps({"sentences": len(sentences), "seconds": elapsed, "sentences_per_s": len(sentences) / elapsed}))


def main(argv):
    if "--bench" in argv:
        bench()
    elif argv and argv[0] == "fixtures":
        write_fixtures()
    elif argv and argv[0] == "embed":
        folder = model_dir()
        tok = load_tokenizer(folder)
        print(json.dumps([list(map(float, v)) for v in encode(MiniLM(folder), tok, argv[1:])]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
