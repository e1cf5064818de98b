#!/usr/bin/env python3
"""Named peers for the impression matcher: OpenCV's PHash and RadialVarianceHash.

  peers_match.py --set DIR [--score-py PATH]

Hashes every reference and query of DIR/manifest.csv (grey image, as the
hashes expect), scores each pair (PHash: minus the Hamming distance;
RadialVariance: the peak cross-correlation, higher = more alike) and prints
the same figures score.py reports for sealmatch: EER genuine vs forgery and
vs other seal, AUC, TPR at FAR 1%, plus hashing time per query.  Needs
Debian's python3-opencv (cv2.img_hash) and python3-numpy.  Only the columns
pair_id, reference, query and label of the manifest are read.
"""
import argparse
import csv
import importlib.util
import os
import sys
import time

try:
    import cv2
    import numpy as np
except ImportError as e:  # pragma: no cover - environment check
    print('peers_match: skipped (%s; install python3-opencv python3-numpy)' % e)
    sys.exit(0)


def load_score_module(path):
    spec = importlib.util.spec_from_file_location('seal_score', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--set', required=True, help='directory with manifest.csv')
    ap.add_argument('--score-py', help='score.py (default: next to the set)')
    a = ap.parse_args()
    if not hasattr(cv2, 'img_hash'):
        print('peers_match: skipped (cv2.img_hash missing: needs opencv contrib modules)')
        return 0
    score_py = a.score_py or os.path.join(os.path.dirname(os.path.abspath(a.set)), 'score.py')
    sc = load_score_module(score_py)
    with open(os.path.join(a.set, 'manifest.csv'), newline='') as f:
        rows = [(r['pair_id'], r['reference'], r['query'], r['label']) for r in csv.DictReader(f)]
    peers = {
        'PHash': (cv2.img_hash.PHash_create(), lambda h, x, y: -float(h.compare(x, y))),
        'RadialVarianceHash': (cv2.img_hash.RadialVarianceHash_create(),
                               lambda h, x, y: float(h.compare(x, y))),
    }
    print('%-20s %8s %8s %8s %8s %10s' % ('peer', 'eerGF', 'eerGO', 'aucGF', 'tpr@1%', 'ms/query'))
    for name, (hasher, score) in peers.items():
        cache, qtimes = {}, []

        def hashed(rel, is_query):
            if rel not in cache:
                t0 = time.perf_counter()
                img = cv2.imread(os.path.join(a.set, rel), cv2.IMREAD_GRAYSCALE)
                cache[rel] = hasher.compute(img)
                if is_query:
                    qtimes.append((time.perf_counter() - t0) * 1e3)
            return cache[rel]

        s = {'genuine': [], 'forgery': [], 'other': []}
        for pid, ref, query, label in rows:
            if label in s:
                s[label].append(score(hasher, hashed(ref, False), hashed(query, True)))
        g, fo, ot = s['genuine'], s['forgery'], s['other']
        print('%-20s %8.4f %8.4f %8.4f %8.4f %10.1f' % (
            name, sc.eer(g, fo), sc.eer(g, ot), sc.auc(g, fo), sc.tpr_at_far(g, fo + ot, 0.01),
            float(np.median(qtimes)) if qtimes else 0.0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
