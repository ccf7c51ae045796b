"""Benchmark: learned routing on the shared citizen messages (run by hand; pytest does not collect it).

Trains tongxin.routing.learn.TextClassifier on citizen_requests_train.csv (8,601 segmented
messages) and tests on citizen_requests.csv (494 raw messages), several runs, and prints the
medians: training time (wall and CPU), accuracy, macro-F1, and the latency of predicting one message (the
dispatcher's case: fold, cut, vectorise, score, pick the evidence words), p50 and p99 over every
test message (wall clock, and the thread's CPU time, which a machine shared with other work
does not inflate). Beside it, in the same run, the baseline of the data README: a plain TF-IDF of
words and word pairs + LinearSVC trained on the segmented text as given, tested on the raw text
cut with rjieba. Ratios are ours / baseline. Nothing is written to the repository; the data is
read from /work/shared/data (or --data).

    .venv/bin/python bench/bench_routing.py              # 3 runs
    .venv/bin/python bench/bench_routing.py --runs 1

Measured 2026-11-25 19:32 UTC, 3 runs, with the head block, on 2 vCPU shared with another
engineer's benchmarks (load average about 1, yet both models' CPU times were 20-50 % above an
earlier run's: compare the ratios):

    (medians)                     routing   baseline    ratio
    train (s)                      17.410     10.537     1.65
    train, CPU (s)                 17.321     10.499     1.65
    accuracy                        0.870      0.844     1.03
    macro-F1                        0.876      0.846     1.04
    predict one p50 (ms)            1.249      1.919     0.65
    predict one p99 (ms)            3.847      6.488     0.59
    predict one p99, CPU (ms)       3.850      6.354     0.61

(per run, predict p99 CPU 3.3 / 3.9 / 5.5 ms against the baseline's 7.3 / 6.0 / 6.4; before the
head block, at load 2.5-5: train 15.6 s wall / 11.4 s CPU, macro-F1 0.871, p99 6.7 ms wall /
2.6 ms CPU against the baseline's 5.3 / 4.1)
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class Baseline:
    """The README's reference: TF-IDF (words and word pairs) + LinearSVC, no text folding."""

    def fit(self, texts, labels):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vec = TfidfVectorizer(token_pattern=r"(?u)\S+", ngram_range=(1, 2))
        self.svm = LinearSVC().fit(self.vec.fit_transform(texts), labels)
        return self

    def predict(self, text):
        import rjieba

        return self.svm.predict(self.vec.transform([" ".join(rjieba.cut(text))]))[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default="/work/shared/data")
    args = parser.parse_args()

    from tongxin.routing.learn import TextClassifier, accuracy, macro_f1

    train_x, train_y = load(os.path.join(args.data, "citizen_requests_train.csv"))
    test_x, test_y = load(os.path.join(args.data, "citizen_requests.csv"))
    print(f"train {len(train_x)} messages, test {len(test_x)} messages, {args.runs} run(s)")
    figures = {k: [] for k in ("train_s", "train_cpu_s", "acc", "f1", "p50_ms", "p99_ms", "p99_cpu_ms",
                               "b_train_s", "b_train_cpu_s", "b_acc", "b_f1", "b_p50_ms", "b_p99_ms", "b_p99_cpu_ms")}
    for run in range(args.runs):
        for prefix, make, one in (("", lambda: TextClassifier().fit(train_x, train_y), lambda m, t: m.predict(t).label),
                                  ("b_", lambda: Baseline().fit(train_x, train_y), lambda m, t: m.predict(t))):
            t0, c0 = time.perf_counter(), time.process_time()
            model = make()
            figures[prefix + "train_s"].append(time.perf_counter() - t0)
            figures[prefix + "train_cpu_s"].append(time.process_time() - c0)
            lat, cpu, predicted = [], [], []
            for text in test_x:
                t0, c0 = time.perf_counter(), time.thread_time()
                predicted.append(one(model, text))
                lat.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
            figures[prefix + "acc"].append(accuracy(test_y, predicted))
            figures[prefix + "f1"].append(macro_f1(test_y, predicted))
            figures[prefix + "p50_ms"].append(percentile(lat, 50))
            figures[prefix + "p99_ms"].append(percentile(lat, 99))
            figures[prefix + "p99_cpu_ms"].append(percentile(cpu, 99))
            del model
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in figures.items()), flush=True)

    m = {k: statistics.median(v) for k, v in figures.items()}
    print()
    print(f"{'(medians)':26} {'routing':>10} {'baseline':>10} {'ratio':>8}")
    for label, ours, base in (("train (s)", "train_s", "b_train_s"), ("train, CPU (s)", "train_cpu_s", "b_train_cpu_s"),
                              ("accuracy", "acc", "b_acc"), ("macro-F1", "f1", "b_f1"),
                              ("predict one p50 (ms)", "p50_ms", "b_p50_ms"), ("predict one p99 (ms)", "p99_ms", "b_p99_ms"),
                              ("predict one p99, CPU (ms)", "p99_cpu_ms", "b_p99_cpu_ms")):
        print(f"{label:26} {m[ours]:10.3f} {m[base]:10.3f} {m[ours] / m[base] if m[base] else float('nan'):8.2f}")
    print(f"targets: train < 60 s: {'yes' if m['train_s'] < 60 else 'NO'}; predict p99 < 5 ms: wall {'yes' if m['p99_ms'] < 5 else 'NO'}, "
          f"CPU {'yes' if m['p99_cpu_ms'] < 5 else 'NO'}; "
          f"macro-F1 >= 0.90: {'yes' if m['f1'] >= 0.90 else 'NO'}")


if __name__ == "__main__":
    main()
