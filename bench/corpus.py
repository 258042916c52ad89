"""Realistic Vietnamese articles for the analysis benchmark.

Sentences come from the VFND corpus (real Vietnamese news and posts) at
../shared/corpora/vfnd when present, else from a small built-in set. Some articles get a
sentence about our locality, some a claim pattern, some both, like a real feed mix.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared/corpora from the project root; one level further up from a git worktree.
CORPORA = next(
    (
        p / "shared" / "corpora"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "corpora").is_dir()
    ),
    ROOT.parent / "shared" / "corpora",
)
VFND = CORPORA / "vfnd" / "Dataset"
FALLBACK = [
    "Ủy ban nhân dân tỉnh vừa tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ "
    "năm tới với sự tham gia của đại diện các sở, ban, ngành.",
    "Theo báo cáo, tổng sản phẩm trên địa bàn tăng hơn 7% so với cùng kỳ, thu ngân sách đạt "
    "kế hoạch đề ra.",
    "Người dân phấn khởi khi con đường liên thôn được bê tông hóa, việc đi lại và vận chuyển "
    "nông sản thuận lợi hơn trước.",
    "Ngành y tế khuyến cáo người dân chủ động phòng bệnh sốt xuất huyết trong mùa mưa.",
    "Nhiều hộ gia đình đã chuyển đổi cây trồng, đưa cà phê và mắc ca vào sản xuất.",
]
LOCALITY = [
    "Tại huyện Ngọc Hồi, tỉnh Kon Tum, chính quyền đã vào cuộc kiểm tra.",
    "Người dân xã Bờ Y, tỉnh Quảng Ngãi cho biết sự việc xảy ra từ tuần trước.",
    "Ở thị trấn Plei Kần, nhiều hộ kinh doanh tỏ ra lo lắng.",
    "nguoi dan o ngoc hoi kon tum dang xon xao ve chuyen nay",
    "Xã Ngọc Hồi, huyện Thanh Trì, Hà Nội cũng ghi nhận hiện tượng tương tự.",
]
CLAIMS = [
    "Trên mạng xã hội lan truyền tin đồn chưa được kiểm chứng về việc này.",
    "Các đối tượng giả danh công an yêu cầu chuyển khoản trước vào STK 0123456789.",
    "Cơ quan chức năng khẳng định đây là thông tin sai sự thật.",
    "Hình ảnh cắt ghép được chia sẻ kèm lời kêu gọi hãy chia sẻ ngay.",
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def source_sentences() -> list[str]:
    if not VFND.is_dir():
        return FALLBACK
    sentences = []
    for path in sorted(VFND.glob("*/*/*.json")):
        text = json.loads(path.read_text(encoding="utf-8")).get("maintext") or ""
        sentences += [s.strip() for s in _SENTENCE.split(text) if 40 < len(s.strip()) < 400]
    return sentences or FALLBACK


def vfnd_records() -> list[dict[str, str]]:
    """The VFND articles and posts as {"title", "text"} records ([] when absent)."""
    records = []
    for path in sorted(VFND.glob("*/*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        text = data.get("maintext") or data.get("text") or ""  # articles, social posts
        if text.strip():
            records.append({"title": data.get("title") or "", "text": text})
    return records


def articles(
    count: int, min_words: int = 300, max_words: int = 800, seed: int = 7
) -> list[tuple[str, str]]:
    """(title, text) pairs of min_words..max_words words."""
    rng = random.Random(seed)
    pool = source_sentences()
    out = []
    for n in range(count):
        target = rng.randint(min_words, max_words)
        sentences: list[str] = []
        words = 0
        while words < target:
            sentence = rng.choice(pool)
            sentences.append(sentence)
            words += len(sentence.split())
        if n % 3 == 0:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(LOCALITY))
        if n % 5 == 0:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(CLAIMS))
        title = sentences[0][:100]
        out.append((title, " ".join(sentences)))
    return out


def synthetic_keywords(count: int, seed: int = 11) -> list[str]:
    """Distinct Vietnamese-looking phrases of 2-4 syllables, for scaling keyword lists."""
    syllables = (  # noqa: SIM905 (a readable word list)
        "an bao binh cao chau dan dong giang ha hai hoa hung khanh lam long minh nam ngoc "
        "nhan phong phu quang son tam thanh thu tien trung tuan van vinh xuan yen dat nuoc "
        "tin moi cuoc song lang xom cho phien rung nui"
    ).split()
    rng = random.Random(seed)
    phrases: set[str] = set()
    while len(phrases) < count:
        phrases.add(" ".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(phrases)
