"""Vietnamese labels shown to analysts."""

CATEGORY_LABELS = {
    "rumour": "Tin đồn",
    "fake_info": "Thông tin sai sự thật",
    "denial": "Bác bỏ chính thức",
    "scam": "Lừa đảo",
    "impersonation": "Giả mạo cơ quan chức năng",
    "urgency": "Giật gân, khẩn cấp",
    "disaster": "Tin đồn thiên tai",
    "health": "Tin đồn y tế, dịch bệnh",
    "doctored_media": "Hình ảnh, video bị cắt ghép",
    "fake_notice": "Thông báo, văn bản giả",
    "kidnapping": "Tin đồn bắt cóc",
    "case": "Vụ việc cụ thể (nạn nhân, số tiền, xử phạt)",
}

# Contributions that are not rule categories (alerts/recurring.py adds one on a match).
CONTRIBUTION_LABELS = {**CATEGORY_LABELS, "recurring": "Trùng thông tin đã xác minh"}

STATUS_LABELS = {
    "new": "Mới",
    "in_review": "Đang xác minh",
    "verified_true": "Đúng sự thật",
    "verified_false": "Sai sự thật",
    "misleading": "Gây hiểu lầm",
    "dismissed": "Bỏ qua",
}

DELIVERY_LABELS = {
    "pending": "chờ gửi",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "failed": "lỗi, sẽ gửi lại",
    "uncertain": "không rõ đã đến chưa (không gửi lại)",
    "rejected": "máy chủ thư từ chối",
}

# Source kinds, as the overview and reports name them.
KIND_LABELS = {
    "feed": "Báo chí, trang tin (RSS)",
    "google_news": "Google Tin tức",
    "site": "Trang tin điện tử",
    "telegram": "Kênh Telegram",
    "youtube_search": "YouTube",
    "facebook_page": "Trang Facebook",
    "instagram_account": "Tài khoản Instagram",
    "tipline": "Đường dây tiếp nhận tin",
    "submitted": "Tin do cán bộ đưa vào",
}

TRUST_LABELS = {
    "official": "cơ quan chính thống",
    "press": "báo chí",
    "social": "mạng xã hội",
    "unknown": "chưa rõ",
}

FIELD_LABELS = {"title": "tiêu đề", "text": "nội dung"}

# What the system writes into the audit trail, as analysts read it.
NOTE_LABELS = {
    "flagged by analysis": "được phân tích tự động gắn cờ",
    "clarification published": "đã công bố thông tin đính chính",
    "unpublished": "đã gỡ khỏi trang thông tin đính chính",
    "released": "trả lại hàng đợi",
}


def note_label(note: str | None) -> str:
    note = note or ""
    left = "unpublished: the verdict left "
    if note.startswith(left):  # written when a status change takes a publication down
        status = note[len(left) :]
        return (
            "đã gỡ khỏi trang thông tin đính chính vì kết luận không còn là "
            f"«{STATUS_LABELS.get(status, status)}»"
        )
    return NOTE_LABELS.get(note, note)


def transition_message(code: str, params: dict[str, object]) -> str:
    """A refused status change, in Vietnamese (alerts.queue.TransitionError's code/params)."""

    def status(value: object) -> str:
        return STATUS_LABELS.get(str(value), str(value))

    alert = f"Cảnh báo #{params.get('alert_id', '')}"
    if code == "missing":
        return f"{alert} không tồn tại."
    if code == "unknown_status":
        return f"Trạng thái «{params.get('wanted')}» không hợp lệ."
    if code == "not_allowed":
        allowed = ", ".join(status(s) for s in params.get("allowed") or ())  # type: ignore[attr-defined]
        return (
            f"{alert} đang ở trạng thái «{status(params.get('current'))}»; chỉ có thể chuyển "
            f"sang: {allowed}; không thể chuyển sang «{status(params.get('wanted'))}»."
        )
    if code == "clarification_needs_false":
        return (
            "Chỉ ghi nội dung đính chính khi kết luận là «Sai sự thật» hoặc «Gây hiểu lầm», "
            f"không phải «{status(params.get('wanted'))}»."
        )
    if code == "changed_meanwhile":
        return f"{alert} vừa được người khác thay đổi; vui lòng tải lại trang và thử lại."
    if code == "publish_needs_clarification":
        return "Chỉ công bố được kết luận «Sai sự thật» hoặc «Gây hiểu lầm» có nội dung đính chính."
    if code == "not_yours":
        who = params.get("assignee")
        return f"{alert} không do bạn nhận xác minh" + (f" (người nhận: {who})." if who else ".")
    return "Không thực hiện được thao tác này."
