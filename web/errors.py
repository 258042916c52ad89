"""Error pages in Vietnamese (Flask's own are English), for every status an analyst can meet."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("press_monitor.web")

MESSAGES = {
    400: (
        "Yêu cầu không hợp lệ",
        "Biểu mẫu đã hết hạn hoặc thiếu dữ liệu. Vui lòng tải lại trang và thử lại.",
    ),
    403: ("Không được phép", "Bạn không có quyền thực hiện thao tác này."),
    404: ("Không tìm thấy trang", "Trang hoặc cảnh báo này không tồn tại."),
    405: ("Thao tác không hợp lệ", "Trang này không nhận kiểu yêu cầu đó."),
    429: ("Đăng nhập tạm bị khóa", "Có quá nhiều lần đăng nhập sai. Vui lòng thử lại sau ít phút."),
    500: (
        "Lỗi hệ thống",
        "Đã có lỗi xảy ra. Vui lòng thử lại; nếu vẫn lỗi, hãy báo cho quản trị viên.",
    ),
}


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def page(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("error.html", code=code, title=title, message=detail or message), code


def _http_error(error: HTTPException) -> tuple[str, int]:
    return page(error.code or 500)


def _unexpected(error: Exception) -> tuple[str, int]:
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unexpected error on a review page", exc_info=error)
    return page(InternalServerError.code)
