"""12345 demand classification (``yiwang.hotline.classifier``): held-out accuracy and throughput.

The shipped corpus (``yiwang/hotline/data/corpus.jsonl``) is split 80/20, stratified by category
with seed 0 (``split_examples``); our model (char n-gram TF-IDF + temperature-scaled linear model,
default ``Config``) is trained on the 80 % and scored on the 20 %. References measured in the same
run on the same split:

- a keyword matcher over the taxonomy's ``keywords`` (``taxonomy.json``): each leaf scores the
  total length of its keywords found in the normalised text; ties and texts with no keyword go to
  the category most frequent in the training part;
- the majority class (NOTE only).

The corpus is written from templates, so held-out texts share phrasing with training texts and
the held-out figures are optimistic; ``FRESH`` below, 105 demands written for this benchmark in
wording of their own (one per leaf), gives a NOTE on how the model copes with new phrasing.

RESULT ``hotline_classify_accuracy``: ours = held-out top-1 accuracy in %, ref = the keyword
matcher's. RESULT ``hotline_classify_throughput``: ours = texts/s through ``Model.suggest_many``
(top 3, batches of ``YIWANG_BENCH_HOTLINE_BATCH`` = 64 held-out texts, one process), ref = the
keyword matcher's texts/s over the same texts; goal (issue 6): ours ≥ 2,000 texts/s. Each side
runs ``YIWANG_BENCH_HOTLINE_SECONDS`` (default 3 s) in alternating rounds. NOTE lines give top-3
accuracy, macro-F1, level-1 accuracy, calibration error, the weakest categories, single-text
latency, train time and the model file's size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from bench.common import note, result

SECONDS = float(os.environ.get("YIWANG_BENCH_HOTLINE_SECONDS", "3"))
BATCH = int(os.environ.get("YIWANG_BENCH_HOTLINE_BATCH", "64"))
ROUNDS = 3
GOAL = 2000.0

# Demands written for the benchmark in wording of their own (not the corpus's templates), one per
# leaf of the taxonomy: a check of how the model copes with phrasing it never saw.
FRESH = [
    ("010101", "小区保洁阿姨一个月才来扫一次楼梯，楼道里全是灰，交了钱却没人干活"),
    ("010102", "今年物业一声不吭把管理费从每平一块五提到两块八，业主大会都没开"),
    ("010103", "我们单元的升降梯今天早上卡在七楼和八楼中间，我妈在里面关了半个钟头"),
    ("010201", "新房拿到钥匙才三个月，卫生间天花板往下滴水，卧室墙上裂了好几道缝"),
    ("010202", "退租的时候房东找各种理由扣了我两千块钱的保证金，一分都不退"),
    ("010203", "买的二手房钱都付清了，可是产权一直转不到我名下，想问问卡在哪了"),
    ("010301", "隔壁楼盘凌晨两点还在浇混凝土，搅拌车轰隆隆的，整栋楼的人都睡不着"),
    ("010302", "拉土的大卡车没盖篷布，一路掉泥巴，风一吹满街都是灰"),
    ("010401", "我们是八十年代的老楼，住六楼的老人爬不动楼梯，想申请装个升降梯要怎么弄"),
    ("020101", "我们新小区附近两公里都没有一个站点，能不能开一条经过这里的线路"),
    ("020102", "今天坐的那趟车师傅开得飞快，到了站也不停，按铃都没用"),
    ("020103", "从火车站打的回家，师傅故意绕了一大圈，平时三十块这次收了六十多"),
    ("020201", "有辆没牌照的破面包车在我家楼下停了大半年，落满了灰，一直占着位置"),
    ("020202", "十字路口那个红灯要等三分钟，绿灯才十几秒，老人根本过不去马路"),
    ("020203", "小区里装的给电动汽车用的桩全坏了，插上去没反应"),
    ("020301", "解放路中间有个大坑，下雨积了水看不见，好几个骑车的摔倒了"),
    ("020302", "地铁口的小黄车堆得像小山一样，盲道都被压住了"),
    ("030101", "在商场买的冰箱用了不到一个月就不制冷了，商家说只能修不能换"),
    ("030102", "健身房充了五千块，上周突然关门了，老板电话也打不通"),
    ("030103", "在直播间下单的羽绒服收到是假的，申请退货商家一直拖着不处理"),
    ("030104", "景区门口的饭馆一盘青菜要了我一百二，菜单上根本没写价"),
    ("030201", "在超市买的酸奶打开一股馊味，一看日期早就过了"),
    ("030202", "楼下那家面馆厨房脏得不行，地上全是油污，员工也不戴帽子"),
    ("030203", "社区门口的药房不要处方就卖抗生素给我家孩子"),
    ("030301", "小区来了一伙人开讲座，说他们的床垫能治高血压，我爸花了两万块"),
    ("030302", "村里有个小作坊没有任何手续在做辣条，环境很差"),
    ("040101", "开发区那家厂晚上一直往外排刺鼻的气味，开着窗根本没法睡觉"),
    ("040102", "一楼开的烤串店排风口正对着我家窗户，晚上满屋子都是烟"),
    ("040103", "田里有人在烧麦秆，浓烟滚滚，高速上都看不清了"),
    ("040201", "步行街服装店天天拿大功率音箱放歌，吵得我们上班没法接电话"),
    ("040202", "楼上那家天天半夜拖椅子、蹦跳，跟他们说了也不管"),
    ("040203", "工业区有家厂子的设备二十四小时转，嗡嗡声隔着两条街都能听到"),
    ("040301", "小区旁边那条河最近变成黑色，一股臭鸡蛋的味道，还漂着白沫"),
    ("040302", "半夜有辆罐车往沟里倒黑乎乎的液体，闻着像汽油"),
    ("050101", "我在工地干了半年活，到现在一分钱都没拿到，老板一直说下个月"),
    ("050102", "公司每天让我们干到晚上十点，周末也上班，说是自愿的，一分钱额外补贴都没有"),
    ("050201", "我明年就到六十了，想问问我以前在外地交的那几年能不能合并算"),
    ("050202", "我在车间干活手指被机器压断了，公司不给申报，说是我自己不小心"),
    ("050301", "我妈在外省住院花了三万多，回来报销时说没提前办手续只能报一点"),
    ("050302", "孩子刚出生，想给他办理城乡居民的看病保险，要去哪儿交钱"),
    ("050401", "我失业在家，想学个电工手艺，政府有没有免费的学习班"),
    ("060101", "我们家户口在这边，孩子明年上一年级，可分到的学校离家十几公里"),
    ("060102", "学校要求每个学生交三百块买教辅资料，说是自愿其实不买不行"),
    ("060103", "每天放学时间学校门口堵得水泄不通，孩子们在车缝里穿来穿去太危险"),
    ("060201", "家附近的公办园报不上名，私立的一个月要四千，实在负担不起"),
    ("060202", "暑假有家机构偷偷在居民楼里给孩子上数学和英语课"),
    ("070101", "我爸在医院做完手术伤口感染，主治大夫一句解释都没有还嫌我们烦"),
    ("070102", "网上根本约不到专家号，门口倒有人三百块一个在卖"),
    ("070103", "出院结算的时候发现单子上多了好几项没做过的化验"),
    ("070201", "想给孩子打流感的针，社区医院说没有货了，什么时候能到"),
    ("070202", "小区里有个没有执照的人在家里给人打玻尿酸，有人脸都肿了"),
    ("070203", "小区垃圾站附近耗子成群，大白天都在路上跑"),
    ("080101", "最近我们这片好几户家里被撬了门，小区的摄像头都是坏的"),
    ("080102", "我结婚后想把户口迁到老公那边，要准备些什么"),
    ("080103", "我下个月要去香港出差，通行证过期了，在哪里补办最快"),
    ("080104", "邻居养的大型犬每天晚上放出来不牵绳，小孩看到都吓哭了"),
    ("080201", "楼道里堆满了纸箱和旧家具，真着火了人都跑不出去"),
    ("080202", "楼上有人从窗户吊根线下来给电瓶车充电，挂在半空中很吓人"),
    ("090101", "我们这几栋楼一到晚上水龙头就没水，住高层的根本用不上"),
    ("090102", "早上打开水龙头流出来的水发黄，还有沉淀，不敢喝"),
    ("090103", "这个月水费单子上用了八十多吨，我们家就两个人，肯定是表坏了"),
    ("090201", "今天下午我们整个村都没电了，没有任何通知，冰箱里的东西都要坏了"),
    ("090202", "这两个月电费突然翻了一倍，家里也没多用什么电器"),
    ("090301", "楼道里有很浓的臭鸡蛋那种气味，怀疑哪家管子漏了，大家都很害怕"),
    ("090302", "新房子装修好了，想开通天然气，要带什么证件去哪里办"),
    ("090401", "我们小区在地下室和电梯里手机一格都没有，打电话都打不出去"),
    ("100101", "小区门口的垃圾堆了三天没人拉走，苍蝇乱飞臭得要命"),
    ("100102", "我们楼下的桶没有分干湿，大家什么都往里扔，也没人管"),
    ("100103", "早上菜贩子把摊子摆到马路上，汽车都开不过去"),
    ("100104", "电线杆和单元门上贴满了办证、开锁的纸条，撕了又贴"),
    ("100105", "公园里的卫生间门一直锁着，游客只能到处找地方方便"),
    ("100201", "顶楼那户在楼顶又盖了一层铁皮房子，物业说管不了"),
    ("100301", "我们这条街天一黑就一片漆黑，灯杆上的灯好几盏都不亮了"),
    ("100302", "人行道上有个窨井的盖子不见了，一个大黑洞，晚上很容易掉下去"),
    ("100303", "一下大雨小区门口就淹到膝盖，下水口全被堵住了"),
    ("100304", "台风过后路边一棵大树歪倒在电线上，随时可能砸下来"),
    ("110101", "我老公瘫痪在床，我一个人打零工养两个孩子，能不能申请最低生活保障"),
    ("110102", "天桥底下有个老人睡了好几天了，看着像是走失的，没人照顾"),
    ("110201", "社区能不能办个给老人吃饭的地方，我们这很多独居老人做饭不方便"),
    ("110202", "我爸今年满八十了，听说每个月有补助，去哪里申请"),
    ("110301", "我们打算下个月领证，周末能不能办，需要提前约吗"),
    ("110302", "老家的公益性骨灰堂收费太高，一个格子要好几万"),
    ("110303", "我是坐轮椅的，想办个证，以后出行能享受优惠，怎么申请"),
    ("120101", "为了办一个证明我在办事大厅跑了四次，每次都说缺一样东西"),
    ("120102", "你们那个政务软件一直提示网络错误，人脸识别怎么都过不去"),
    ("120103", "我想问问办理新生儿出生证明需要带哪些资料，在什么地方办"),
    ("120201", "我想开一家奶茶店，注册公司需要多长时间，要跑几个部门"),
    ("120202", "去年申报的小微企业稳岗奖励说好年底发，到现在还没到账"),
    ("120203", "一个月内来了四拨检查的人，每次都挑毛病要我们交钱"),
    ("120301", "我想用住房公积金付首付，单位说不行，到底能不能取出来"),
    ("130101", "去年买的玉米种子出苗率不到一半，卖种子的人说不关他的事"),
    ("130102", "村里说种地的补助早就发了，可是我卡里一直没收到钱"),
    ("130201", "我家老房子塌了一半，想在原地重新盖，村里说批不下来"),
    ("130202", "村里卖地的钱到底花在哪了，账本从来不给我们看"),
    ("130203", "我们村的路全是泥巴，一下雨车都开不进来，家家的污水直接往沟里流"),
    ("130301", "村头新开了一个猪圈，臭味熏天，粪水直接流到水塘里"),
    ("990101", "楼下有两个人拿着棍子在互殴，已经有人头破血流了"),
    ("990102", "对面楼三楼窗户往外冒浓烟，好像烧起来了"),
    ("990103", "路边有个老人突然倒地不省人事，怎么叫都没有反应"),
    ("990104", "高架上两辆车撞在一起了，有人被卡在车里出不来"),
    ("990201", "我和公司的劳动争议已经在走法律程序了，想问问你们能不能催一下"),
    ("990202", "我的事情已经向上访部门反映过了，他们的答复我不满意"),
    ("990301", "我想反映我们单位一个领导干部收受红包的问题"),
    ("990302", "我想找我们区的代表反映一个问题，怎么联系他们"),
    ("990303", "我打赢了官司，可对方一直不还钱，法院那边也不给我强制执行"),
]


class KeywordMatcher:
    """The reference classifier: taxonomy keywords found in the text, longest total wins."""

    def __init__(self, taxonomy: dict, training: Sequence, normalise: Callable[[str], str]):
        self.normalise = normalise
        self.prior = Counter(e.category for e in training)
        self.by_prior = [code for code, _n in self.prior.most_common()]
        self.table = [
            (keyword, category["code"])
            for category in taxonomy["categories"]
            if len(category["code"]) == 6
            for keyword in {normalise(k) for k in category.get("keywords") or []}
            if keyword
        ]

    def rank(self, text: str) -> list[str]:
        normalised = self.normalise(text)
        scores: dict[str, int] = defaultdict(int)
        for keyword, code in self.table:
            if keyword in normalised:
                scores[code] += len(keyword)
        ranked = sorted(scores, key=lambda c: (-scores[c], -self.prior[c], c))
        return ranked + [c for c in self.by_prior[:3] if c not in scores]

    def top(self, texts: Sequence[str], k: int = 3) -> list[list[str]]:
        return [self.rank(t)[:k] for t in texts]


def rate(fn: Callable[[Sequence[str]], object], texts: Sequence[str], seconds: float) -> float:
    """Texts per second classifying ``texts`` in batches of BATCH for at least ``seconds``."""
    batches = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    count, began = 0, time.perf_counter()
    while True:
        for batch in batches:
            fn(batch)
            count += len(batch)
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return count / elapsed


def main() -> None:
    import django

    django.setup()
    from yiwang.hotline.classifier import (
        SHIPPED_CORPUS,
        TAXONOMY_PATH,
        load,
        load_corpus,
        normalise,
        save,
        split_examples,
        train,
    )

    if not SHIPPED_CORPUS.exists() or not TAXONOMY_PATH.exists():
        sys.exit(f"the corpus or taxonomy is missing: {SHIPPED_CORPUS}, {TAXONOMY_PATH}")
    examples = load_corpus(SHIPPED_CORPUS)
    taxonomy = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))
    training, held_out = split_examples(examples, test_fraction=0.2, seed=0)
    texts = [e.text for e in held_out]
    truth = [e.category for e in held_out]

    began = time.perf_counter()
    model = train(training, seed=0)
    train_seconds = time.perf_counter() - began
    report = model.evaluate(held_out)

    matcher = KeywordMatcher(taxonomy, training, normalise)
    keyword_top = matcher.top(texts)
    keyword_accuracy = sum(r[0] == t for r, t in zip(keyword_top, truth, strict=True)) / len(truth)
    keyword_top3 = sum(t in r for r, t in zip(keyword_top, truth, strict=True)) / len(truth)
    majority = Counter(e.category for e in training).most_common(1)[0][0]
    majority_accuracy = sum(t == majority for t in truth) / len(truth)

    # the same texts through both, alternating rounds so that both see the same machine
    totals = {"ours": 0.0, "ref": 0.0}
    for _round in range(ROUNDS):
        totals["ours"] += rate(model.suggest_many, texts, SECONDS / ROUNDS)
        totals["ref"] += rate(matcher.top, texts, SECONDS / ROUNDS)
    ours_rate, ref_rate = totals["ours"] / ROUNDS, totals["ref"] / ROUNDS
    one = texts[: min(200, len(texts))]
    began = time.perf_counter()
    for text in one:
        model.suggest(text)
    single_ms = (time.perf_counter() - began) / len(one) * 1000

    with tempfile.TemporaryDirectory() as folder:
        path = save(model, Path(folder) / "hotline-model.npz")
        size_mb = path.stat().st_size / 1e6
        began = time.perf_counter()
        load(path)
        load_seconds = time.perf_counter() - began

    fresh = model.evaluate([(text, code) for code, text in FRESH])
    fresh_keyword = matcher.top([text for _code, text in FRESH])
    fresh_keyword_accuracy = sum(
        r[0] == code for r, (code, _t) in zip(fresh_keyword, FRESH, strict=True)
    ) / len(FRESH)

    weakest = sorted(report.per_category_recall.items(), key=lambda kv: (kv[1], kv[0]))[:5]
    note(
        f"corpus {len(examples)} texts, {len({e.category for e in examples})} categories; "
        f"held out {len(held_out)} (stratified 20 %, seed 0)"
    )
    note(
        f"ours ({model.config.model}, char {model.config.ngram_min}-{model.config.ngram_max}"
        f"{' + jieba words' if model.config.words else ''}, C={model.config.C:g}): "
        f"accuracy {report.accuracy:.3f}, top-3 {report.top3_accuracy:.3f}, "
        f"macro-F1 {report.macro_f1:.3f}, level-1 {report.level1_accuracy:.3f}, "
        f"level-2 {report.level2_accuracy:.3f}, calibration error {report.calibration_error:.3f}"
    )
    note(
        f"keyword matcher (taxonomy keywords): accuracy {keyword_accuracy:.3f}, "
        f"top-3 {keyword_top3:.3f}; majority class ({majority}): accuracy {majority_accuracy:.3f}"
    )
    note(
        f"{len(FRESH)} freshly worded texts: ours accuracy {fresh.accuracy:.3f}, "
        f"top-3 {fresh.top3_accuracy:.3f}, level-1 {fresh.level1_accuracy:.3f}; "
        f"keyword matcher accuracy {fresh_keyword_accuracy:.3f}"
    )
    note("weakest recall: " + ", ".join(f"{c} {r:.2f}" for c, r in weakest))
    note(
        f"train {train_seconds:.1f} s on {len(training)} texts ({model.n_features} features); "
        f"model file {size_mb:.1f} MB, loads in {load_seconds:.2f} s; "
        f"one text at a time {single_ms:.2f} ms"
    )
    note(
        f"throughput: ours {ours_rate:.0f} texts/s (batches of {BATCH}), keyword matcher "
        f"{ref_rate:.0f} texts/s; goal ≥ {GOAL:.0f}: " + ("met" if ours_rate >= GOAL else "NOT met")
    )
    result("hotline_classify_throughput", ours_rate, "texts/s", ref_rate, "texts/s")
    result("hotline_classify_accuracy", report.accuracy * 100, "%", keyword_accuracy * 100, "%")


if __name__ == "__main__":
    main()
