#!/usr/bin/python3
"""A Marian model the size of the opus-mt models (6 encoder and 6 decoder layers of 8 heads, d_model 512,
feed-forward 2048, 58101 tokens, 512 positions), random weights in transformers' layout, for
bench_encoder_decoder. Usage: /usr/bin/python3 bench/make_marian_model.py DIR (Debian's python3-numpy; about 300 MB)."""
import json
import os
import struct
import sys

import numpy as np

V, D, F, L, H, P = 58101, 512, 2048, 6, 8, 512


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        raw = a.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    w = lambda *shape: (rng.standard_normal(shape) * 0.05).astype(np.float32)
    t = {"model.shared.weight": w(V, D), "final_logits_bias": np.zeros((1, V), np.float32)}
    for stack in ("encoder", "decoder"):
        for l in range(L):
            p = f"model.{stack}.layers.{l}."
            kinds = ["self_attn"] + (["encoder_attn"] if stack == "decoder" else [])
            for k in kinds:
                for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                    t[p + f"{k}.{proj}.weight"] = w(D, D)
                    t[p + f"{k}.{proj}.bias"] = np.zeros(D, np.float32)
                t[p + f"{k}_layer_norm.weight"] = np.ones(D, np.float32)
                t[p + f"{k}_layer_norm.bias"] = np.zeros(D, np.float32)
            t[p + "fc1.weight"], t[p + "fc1.bias"] = w(F, D), np.zeros(F, np.float32)
            t[p + "fc2.weight"], t[p + "fc2.bias"] = w(D, F), np.zeros(D, np.float32)
            t[p + "final_layer_norm.weight"], t[p + "final_layer_norm.bias"] = np.ones(D, np.float32), np.zeros(D, np.float32)
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    config = {"model_type": "marian", "architectures": ["MarianMTModel"], "vocab_size": V, "decoder_vocab_size": V,
              "d_model": D, "encoder_layers": L, "decoder_layers": L, "encoder_attention_heads": H,
              "decoder_attention_heads": H, "encoder_ffn_dim": F, "decoder_ffn_dim": F, "max_position_embeddings": P,
              "activation_function": "swish", "scale_embedding": True, "share_encoder_decoder_embeddings": True,
              "pad_token_id": V - 1, "decoder_start_token_id": V - 1, "eos_token_id": 0}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


if __name__ == "__main__":
    main()
