#!/usr/bin/env python3
"""Learns the built-in model's byte-level BPE vocabulary from its captions, in CLIP's file format.

Usage: storybrush-train captions --count 200000 | python3 train_bpe.py --vocab-size 4096 --out DIR
Writes DIR/vocab.json and DIR/merges.txt exactly as HF CLIPTokenizer reads them: the 256 byte symbols, the
same with "</w>", one entry per merge, then <|startoftext|> and <|endoftext|>. Pre-tokenisation follows CLIP
(lower-case, runs of letters, single digits, runs of other symbols); Chinese runs are letters, so whole
phrases are words and the merges learn characters and common words. Standard library only.
"""
import argparse
import collections
import json
import re
import sys


def bytes_to_unicode():
    # ref: CLIP simple_tokenizer.bytes_to_unicode: printable bytes map to themselves, the rest above 255.
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = keep[:]
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(keep, map(chr, chars)))


WORD = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_", re.UNICODE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    byte_map = bytes_to_unicode()
    words = collections.Counter()
    for line in sys.stdin:
        text = " ".join(line.strip().lower().split())
        for word in WORD.findall(text):
            symbols = [byte_map[b] for b in word.encode("utf-8")]
            symbols[-1] += "</w>"
            words[tuple(symbols)] += 1
    if not words:
        sys.exit("train_bpe.py: no captions on stdin")

    base = list(byte_map.values())
    vocab = base + [s + "</w>" for s in base]
    merges = []
    target = args.vocab_size - len(vocab) - 2
    # Incremental pair counts: a merge touches only the words that contain its pair.
    entries = [[list(symbols), count] for symbols, count in words.items()]
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for index, (symbols, count) in enumerate(entries):
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
            where[pair].add(index)
    while len(merges) < target and pairs:
        (a, b), count = max(pairs.items(), key=lambda item: (item[1], item[0]))
        if count < 2:
            break
        merges.append((a, b))
        vocab.append(a + b)
        for index in list(where.pop((a, b), ())):
            symbols, n = entries[index]
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] -= n
                if pairs[pair] <= 0:
                    del pairs[pair]
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            entries[index][0] = out
            for pair in zip(out, out[1:]):
                pairs[pair] += n
                where[pair].add(index)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    with open(f"{args.out}/vocab.json", "w", encoding="utf-8") as f:
        json.dump({token: i for i, token in enumerate(vocab)}, f, ensure_ascii=False)
    with open(f"{args.out}/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    print(f"{len(vocab)} tokens, {len(merges)} merges from {sum(words.values())} words", file=sys.stderr)


if __name__ == "__main__":
    main()
