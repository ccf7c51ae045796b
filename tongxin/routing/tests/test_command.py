"""routing_evaluate: output format and bad input (generated CSVs, never the shared data)."""

import csv
import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .conftest import make_text


def write_csv(path: Path, rows, header=("id", "text", "category")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


NAMES = {"municipal": "市政设施", "sanitation": "环境卫生", "parking": "停车管理"}


def labelled(n_per_class: int, seed: int):
    rng = random.Random(seed)
    rows, i = [], 0
    for code, name in NAMES.items():
        for _ in range(n_per_class):
            i += 1
            rows.append((i, make_text(rng, code), name))
    return rows


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("routing_evaluate", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_train_test_prints_table_accuracy_then_macro_f1_last(tmp_path):
    train = write_csv(tmp_path / "train.csv", labelled(15, 1))
    test = write_csv(tmp_path / "test.csv", labelled(5, 2))
    lines = run("--train", str(train), "--test", str(test), "--text-col", "text", "--label-col", "category")
    assert lines[-1].startswith("macro-F1: ") and len(lines[-1].split(": ")[1]) == 5
    assert lines[-2].startswith("accuracy: ")
    assert float(lines[-1].split(": ")[1]) > 0.8
    table = "\n".join(lines)
    for name in NAMES.values():
        assert name in table


def test_folds_on_one_file(tmp_path):
    data = write_csv(tmp_path / "all.csv", labelled(10, 3))
    lines = run("--train", str(data), "--folds", "5")
    assert "5 折交叉验证" in lines[0] and "30 条" in lines[0]
    assert lines[-1].startswith("macro-F1: ")


def test_rules_only_measures_keyword_defaults(tmp_path):
    rows = [(1, "小区门口路灯坏了，晚上很黑", "市政设施"), (2, "楼道里堆满垃圾，臭味很大", "环境卫生"),
            (3, "楼下车位被人乱停占了", "停车管理"), (4, "天气不错", "其他")]
    lines = run("--test", str(write_csv(tmp_path / "t.csv", rows)), "--rules-only")
    assert lines[-2] == "accuracy: 1.000" and lines[-1] == "macro-F1: 1.000"


def test_custom_columns(tmp_path):
    rows = [(r[1], r[2]) for r in labelled(8, 4)]
    path = write_csv(tmp_path / "c.csv", rows, header=("内容", "分类"))
    lines = run("--train", str(path), "--test", str(path), "--text-col", "内容", "--label-col", "分类")
    assert lines[-1].startswith("macro-F1: ")


@pytest.mark.parametrize("case, message", [
    ("missing_file", "找不到文件"),
    ("missing_column", "缺少列“category”"),
    ("empty_file", "是空的"),
    ("header_only", "没有可用的数据行"),
    ("one_example", "只有 1 条样本"),
    ("one_class", "只有一个类别"),
    ("no_test", "请同时指定 --train 和 --test"),
    ("rules_no_test", "--rules-only 需要用 --test"),
    ("folds_too_few", "不够分成 5 折"),
])
def test_bad_input_clear_chinese_message(tmp_path, case, message):
    good = write_csv(tmp_path / "good.csv", labelled(6, 5))
    if case == "missing_file":
        args = ["--train", str(tmp_path / "nope.csv"), "--test", str(good)]
    elif case == "missing_column":
        args = ["--train", str(write_csv(tmp_path / "m.csv", [(1, "路灯坏了")], header=("id", "text"))), "--test", str(good)]
    elif case == "empty_file":
        (tmp_path / "e.csv").write_text("")
        args = ["--train", str(tmp_path / "e.csv"), "--test", str(good)]
    elif case == "header_only":
        args = ["--train", str(write_csv(tmp_path / "h.csv", [])), "--test", str(good)]
    elif case == "one_example":
        args = ["--train", str(write_csv(tmp_path / "o.csv", labelled(6, 5) + [(99, "天上掉下一只风筝", "其他")])), "--test", str(good)]
    elif case == "one_class":
        args = ["--train", str(write_csv(tmp_path / "c.csv", [(i, f"路灯坏了{i}", "市政设施") for i in range(5)])), "--test", str(good)]
    elif case == "no_test":
        args = ["--train", str(good)]
    elif case == "rules_no_test":
        args = ["--rules-only"]
    else:
        args = ["--train", str(write_csv(tmp_path / "f.csv", labelled(3, 6))), "--folds", "5"]
    with pytest.raises(CommandError) as exc:
        call_command("routing_evaluate", *args, stdout=io.StringIO())
    assert message in str(exc.value)


def test_bad_input_exits_non_zero_without_traceback(tmp_path):
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "manage.py", "routing_evaluate", "--rules-only", "--test", str(tmp_path / "missing.csv")],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "找不到文件" in proc.stderr and "Traceback" not in proc.stderr
