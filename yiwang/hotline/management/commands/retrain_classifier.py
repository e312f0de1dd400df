"""``manage.py retrain_classifier [--corpus PATH] [--output PATH] [--seed N]``: retrain the
12345 demand classifier.

Holds out a seeded stratified 20 % of the corpus, trains on the rest and prints the held-out
accuracy, top-3 accuracy and macro-F1; then trains on all of it and writes the model file
atomically (temporary file, rename), by default to ``settings.YIWANG_HOTLINE_MODEL_PATH``
(``VAR_DIR/hotline-model.npz``), where running processes pick it up on their next suggestion.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError
from yiwang.hotline.classifier import (
    SHIPPED_CORPUS,
    load_corpus,
    model_path,
    save,
    split_examples,
    train,
)


class Command(BaseCommand):
    help = "Retrain the 12345 demand classifier, print held-out metrics, write the model file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--corpus", default=str(SHIPPED_CORPUS), help="JSON-lines corpus (text, category)"
        )
        parser.add_argument(
            "--output", default=None, help="model file (default: YIWANG_HOTLINE_MODEL_PATH)"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--test-fraction", type=float, default=0.2)

    def handle(self, *args: Any, **options: Any) -> None:
        corpus = Path(options["corpus"])
        output = Path(options["output"]) if options["output"] else model_path()
        seed, fraction = options["seed"], options["test_fraction"]
        if not 0 < fraction < 1:
            raise CommandError(_("留出比例须在 0 和 1 之间。"))
        if not corpus.is_file():
            raise CommandError(_("找不到训练语料：%(path)s") % {"path": corpus})
        try:
            examples = load_corpus(corpus)
            train_part, test_part = split_examples(examples, test_fraction=fraction, seed=seed)
            if not test_part:
                raise CommandError(_("语料太小，无法留出评估样本。"))
            report = train(train_part, seed=seed).evaluate(test_part)
            began = time.perf_counter()
            model = train(examples, seed=seed)
            seconds = time.perf_counter() - began
            model.meta["holdout"] = {
                "fraction": fraction,
                "seed": seed,
                "n": report.n,
                "accuracy": report.accuracy,
                "top3_accuracy": report.top3_accuracy,
                "macro_f1": report.macro_f1,
            }
            written = save(model, output)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        self.stdout.write(
            _(
                "语料 %(examples)s 条，%(classes)s 个分类；留出 %(held)s 条（%(percent)s%%，"
                "种子 %(seed)s）。"
            )
            % {
                "examples": len(examples),
                "classes": model.meta["n_classes"],
                "held": report.n,
                "percent": round(fraction * 100),
                "seed": seed,
            }
        )
        self.stdout.write(
            _(
                "留出集：准确率 %(accuracy).3f，前三准确率 %(top3).3f，宏平均 F1 %(f1).3f，"
                "一级分类准确率 %(level1).3f，置信度校准误差 %(ece).3f。"
            )
            % {
                "accuracy": report.accuracy,
                "top3": report.top3_accuracy,
                "f1": report.macro_f1,
                "level1": report.level1_accuracy,
                "ece": report.calibration_error,
            }
        )
        weakest = sorted(report.per_category_recall.items(), key=lambda kv: (kv[1], kv[0]))[:5]
        self.stdout.write(
            _("召回率最低的分类：%(list)s")
            % {"list": _("、").join(f"{code} {recall:.2f}" for code, recall in weakest)}
        )
        self.stdout.write(
            _(
                "已用全部语料训练（%(seconds).1f 秒，%(features)s 个特征），模型已写入 %(path)s"
                "（%(size).1f MB）。"
            )
            % {
                "seconds": seconds,
                "features": model.n_features,
                "path": written,
                "size": written.stat().st_size / 1e6,
            }
        )
