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

STATUS_LABELS = {
    "new": "Mới",
    "in_review": "Đang xác minh",
    "verified_true": "Đúng sự thật",
    "verified_false": "Sai sự thật",
    "misleading": "Gây hiểu lầm",
    "dismissed": "Bỏ qua",
}
