#!/usr/bin/env python3
"""Copies each thing's default look (the first art reference in things.tsv) into resources/library/art/, where
the scene renderer (engine/scene/renderer.cpp) finds it: art/<source>/<name>, SVG where the source is vector.

    python3 resources/library/copy_art.py --npm /tmp/libnpm --tuxpaint /usr/share/tuxpaint/stamps \\
        --openclipart /usr/share/openclipart/svg --library resources/library

The sources are the packages make_catalogue.py reads (see README.md); art/ is rewritten whole each time."""
import argparse
import csv
import os
import shutil
import sys


def source_file(reference, args):
    source, _, name = reference.partition(":")
    if source == "twemoji":
        return os.path.join(args.npm, "node_modules", "@twemoji", "svg", name + ".svg"), name + ".svg"
    if source == "openmoji":
        return os.path.join(args.npm, "node_modules", "openmoji", "color", "svg", name + ".svg"), name + ".svg"
    if source == "tuxpaint":
        return os.path.join(args.tuxpaint, name), name
    if source == "openclipart" and args.openclipart:
        return os.path.join(args.openclipart, name), name
    return None, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--npm", required=True)
    parser.add_argument("--tuxpaint", required=True)
    parser.add_argument("--openclipart")
    parser.add_argument("--library", default="resources/library")
    args = parser.parse_args()
    art = os.path.join(args.library, "art")
    shutil.rmtree(art, ignore_errors=True)
    copied, missing = 0, []
    with open(os.path.join(args.library, "things.tsv"), encoding="utf-8") as table:
        for row in csv.DictReader(table, delimiter="\t"):
            reference = row["art"].split("|")[0]
            path, name = source_file(reference, args)
            if not path or not os.path.isfile(path):
                missing.append(reference)
                continue
            target = os.path.join(art, reference.partition(":")[0], name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
            copied += 1
    print(f"{copied} art files in {art}; {len(missing)} missing: {' '.join(missing[:10])}")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
