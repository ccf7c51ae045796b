"""Evaluate the routing classifier on labelled texts (CSV with a header row).

    python manage.py routing_evaluate --train TRAIN.csv --test TEST.csv --text-col text --label-col category
    python manage.py routing_evaluate --train ALL.csv --folds 5
    python manage.py routing_evaluate --test TEST.csv --rules-only

Prints the per-class table, then `accuracy: 0.xxx` and, as the last line, `macro-F1: 0.xxx`.
--rules-only measures the day-one keyword rules (tongxin.orders.suggest over the default
categories of tongxin/orders/defaults.py, labels being category names) without any training.
Bad input (missing file or column, no rows, a label with a single example) stops with a
Chinese message and exit status 1.
"""

import csv
import time

from django.core.management.base import BaseCommand, CommandError

from tongxin.routing.learn import TextClassifier, accuracy, macro_f1, per_class, stratified_folds


def read_csv(path: str, text_col: str, label_col: str, *, need_label: bool = True) -> tuple[list[str], list[str], int]:
    """(texts, labels, skipped blank rows) from a CSV file, or CommandError in Chinese."""
    raw = None
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise CommandError(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise CommandError(f"{path} 是一个目录，不是 CSV 文件") from None
    except OSError as exc:
        raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise CommandError(f"文件 {path} 不是 UTF-8 或 GB18030 编码的文本")
    if not text.strip():
        raise CommandError(f"文件 {path} 是空的")
    try:
        reader = csv.DictReader(text.splitlines(keepends=True))
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as exc:
        raise CommandError(f"文件 {path} 不是有效的 CSV：{exc}") from None
    missing = [c for c in ([text_col, label_col] if need_label else [text_col]) if c not in header]
    if missing:
        raise CommandError(f"文件 {path} 缺少列“{'”“'.join(missing)}”（现有列：{', '.join(header) or '无'}）")
    texts, labels, skipped = [], [], 0
    for row in rows:
        t, lab = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
        if not t or not lab:
            skipped += 1
            continue
        texts.append(t)
        labels.append(lab)
    if not texts:
        raise CommandError(f"文件 {path} 没有可用的数据行（文本和标签都不能为空）")
    return texts, labels, skipped


def check_labels(labels: list[str], path: str, minimum: int = 2) -> None:
    from collections import Counter

    thin = sorted(lab for lab, n in Counter(labels).items() if n < minimum)
    if thin:
        raise CommandError(f"文件 {path} 中类别“{'”“'.join(thin[:5])}”只有 1 条样本，每个类别至少需要 {minimum} 条才能训练"
                           if minimum == 2 else
                           f"文件 {path} 中类别“{'”“'.join(thin[:5])}”的样本少于 {minimum} 条，不够分成 {minimum} 折")
    if len(set(labels)) < 2:
        raise CommandError(f"文件 {path} 只有一个类别，至少需要两个类别才能训练")


def rules_predict(texts: list[str]) -> list[str]:
    from tongxin.orders.defaults import DEFAULT_CATEGORIES
    from tongxin.orders.models import Category
    from tongxin.orders.suggest import score_categories

    cats = [Category(pk=i + 1, code=code, name=name, keywords=kw, sort=(i + 1) * 10)
            for i, (code, name, _h, _d, kw) in enumerate(DEFAULT_CATEGORIES)]
    other = next(c.name for c in cats if c.code == "other")
    out = []
    for t in texts:
        scored = score_categories(t, cats)
        out.append(scored[0][1].name if scored else other)
    return out


def _cols(text: str) -> int:
    """Terminal columns of a label (CJK characters are two wide)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Command(BaseCommand):
    help = "Train and evaluate the routing classifier on labelled CSV texts; the last line is macro-F1."

    def add_arguments(self, parser):
        parser.add_argument("--train", help="CSV to train on")
        parser.add_argument("--test", help="CSV to test on")
        parser.add_argument("--folds", type=int, default=0, help="cross-validate on one file with this many folds")
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--label-col", default="category")
        parser.add_argument("--rules-only", action="store_true", help="measure the day-one keyword rules, no training")

    def handle(self, *args, train=None, test=None, folds=0, text_col="text", label_col="category", rules_only=False, **opts):
        if rules_only:
            if not test:
                raise CommandError("--rules-only 需要用 --test 指定测试文件")
            texts, truth, skipped = read_csv(test, text_col, label_col)
            self._skipped(test, skipped)
            started = time.perf_counter()
            predicted = rules_predict(texts)
            self.stdout.write(f"关键词规则（默认分类），{len(texts)} 条，用时 {time.perf_counter() - started:.1f} s")
            from tongxin.orders.defaults import DEFAULT_CATEGORIES

            foreign = sorted(set(truth) - {c[1] for c in DEFAULT_CATEGORIES})
            if foreign:
                self.stdout.write(f"注意：测试文件的类别“{'”“'.join(foreign[:7])}”不是默认分类名称，关键词规则不可能命中它们")
            return self._report(truth, predicted)
        if folds:
            if folds < 2:
                raise CommandError("--folds 至少为 2")
            if train and test:
                raise CommandError("使用 --folds 时只需一个文件（--train 或 --test）")
            path = train or test
            if not path:
                raise CommandError("请用 --train 指定要交叉验证的文件")
            texts, labels, skipped = read_csv(path, text_col, label_col)
            self._skipped(path, skipped)
            check_labels(labels, path, minimum=max(2, folds))
            fold_of = stratified_folds(labels, folds)
            prepared = TextClassifier().prepare(texts)
            truth, predicted, started = [], [], time.perf_counter()
            for k in range(folds):
                tr = [i for i, f in enumerate(fold_of) if f != k]
                te = [i for i, f in enumerate(fold_of) if f == k]
                clf = TextClassifier().fit(None, [labels[i] for i in tr],
                                           prepared=([prepared[0][i] for i in tr], [prepared[1][i] for i in tr]))
                predicted += clf.predict_many(prepared=([prepared[0][i] for i in te], [prepared[1][i] for i in te]))
                truth += [labels[i] for i in te]
            self.stdout.write(f"{folds} 折交叉验证，{len(texts)} 条，用时 {time.perf_counter() - started:.1f} s")
            return self._report(truth, predicted)
        if not train or not test:
            raise CommandError("请同时指定 --train 和 --test（或用 --folds 对一个文件交叉验证，或 --rules-only --test）")
        texts, labels, skipped = read_csv(train, text_col, label_col)
        self._skipped(train, skipped)
        check_labels(labels, train)
        test_texts, truth, skipped = read_csv(test, text_col, label_col)
        self._skipped(test, skipped)
        started, cpu = time.perf_counter(), time.process_time()
        clf = TextClassifier().fit(texts, labels)
        trained, trained_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        predicted = clf.predict_many(test_texts)
        self.stdout.write(f"训练 {len(texts)} 条，用时 {trained:.1f} s（CPU {trained_cpu:.1f} s）；"
                          f"预测 {len(test_texts)} 条，用时 {time.perf_counter() - started:.1f} s")
        unseen = sorted(set(truth) - set(labels))
        if unseen:
            self.stdout.write(f"注意：测试文件中的类别“{'”“'.join(unseen[:5])}”在训练文件中没有出现")
        return self._report(truth, predicted)

    def _skipped(self, path, skipped):
        if skipped:
            self.stdout.write(f"{path}：跳过 {skipped} 行（文本或标签为空）")

    def _report(self, truth, predicted):
        rows = per_class(truth, predicted)
        width = max([_cols(str(r["label"])) for r in rows] + [6])
        self.stdout.write(f"{'label'.ljust(width)}  precision  recall     f1  support")
        for r in rows:
            name = str(r["label"])
            pad = width - _cols(name)
            self.stdout.write(f"{name}{' ' * max(pad, 0)}  {r['precision']:9.3f}  {r['recall']:6.3f}  {r['f1']:5.3f}  {r['support']:7d}")
        self.stdout.write(f"accuracy: {accuracy(truth, predicted):.3f}")
        self.stdout.write(f"macro-F1: {macro_f1(truth, predicted):.3f}")
