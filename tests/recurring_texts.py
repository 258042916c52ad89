"""Vietnamese claims and their reposts for the claim-matching tests: an original, the ways a
repost changes it, and near-misses that must not match it."""

from __future__ import annotations

# --- A fake notice: fee for updating ID data, in an officer's name ----------------------------
FEE_NOTICE = (
    "THÔNG BÁO KHẨN của Công an xã Bờ Y",
    "Thực hiện chỉ đạo của Công an tỉnh, từ ngày 20/10/2025 tất cả các hộ gia đình trên địa "
    "bàn xã Bờ Y phải nộp phí cập nhật dữ liệu căn cước là 150.000 đồng mỗi người. Hộ nào "
    "chưa nộp sẽ bị khóa căn cước và không rút được tiền ở ngân hàng. Bà con chuyển khoản vào "
    "số tài khoản 0123456789 Ngân hàng Agribank, chủ tài khoản Thượng úy Trần Văn Nam, cán bộ "
    "phụ trách. Ghi rõ họ tên, số căn cước khi chuyển. Hạn chót trong 3 ngày, mọi thắc mắc "
    "gọi 0912345678. Đề nghị bà con chia sẻ cho người thân cùng biết.",
)
# reposted six weeks later: another date, another officer, reworded and reordered
FEE_NOTICE_REPOST = (
    "Thông báo của Công an xã Bờ Y về phí cập nhật căn cước",
    "Theo chỉ đạo Công an tỉnh, kể từ ngày 05/12/2025 mọi hộ gia đình tại xã Bờ Y bắt buộc "
    "nộp phí cập nhật dữ liệu căn cước 150.000 đồng một người. Chuyển khoản vào số tài khoản "
    "0987654321 Ngân hàng Agribank, chủ tài khoản Đại úy Lê Minh Tuấn phụ trách, ghi rõ họ "
    "tên và số căn cước. Nếu chưa nộp, căn cước sẽ bị khóa, không rút được tiền ngân hàng. "
    "Hạn chót 3 ngày, thắc mắc liên hệ 0977111222. Mọi người chia sẻ cho người thân nhé.",
)
# the same template, another claim: a school merger, not a fee
TEMPLATE_OTHER_CLAIM = (
    "THÔNG BÁO KHẨN của UBND xã Bờ Y",
    "Thực hiện chỉ đạo của UBND tỉnh, từ ngày 20/10/2025 trường mầm non Hoa Sen và trường "
    "tiểu học Bờ Y sẽ sáp nhập về điểm trường Plei Kần, học sinh các thôn Đăk Mế, Iệc phải "
    "đi học xa hơn 7 km. Phụ huynh đến trường làm thủ tục chuyển hồ sơ cho con trước cuối "
    "tháng, mang theo giấy khai sinh và sổ hộ khẩu. Xe đưa đón do gia đình tự lo. Mọi thắc "
    "mắc gọi 0912345678. Đề nghị bà con chia sẻ cho người thân cùng biết.",
)
# the office's denial of the fee notice: the same claim, answered
FEE_DENIAL = (
    "Công an xã Bờ Y bác bỏ thông báo thu phí cập nhật căn cước",
    "Công an xã Bờ Y khẳng định không có việc thu phí cập nhật dữ liệu căn cước 150.000 đồng "
    "mỗi người như thông báo đang lan truyền trên mạng xã hội. Việc cập nhật dữ liệu căn cước "
    "là miễn phí; không có cán bộ nào tên Trần Văn Nam phụ trách thu tiền và căn cước không bị "
    "khóa, người dân vẫn rút tiền ngân hàng bình thường. Công an xã đề nghị bà con không chuyển "
    "khoản vào số tài khoản trong thông báo giả, không chia sẻ thông tin sai sự thật.",
)

# --- A dam-break rumour, and its repost typed without diacritics -------------------------------
DAM_RUMOUR = (
    "Khẩn cấp: thủy điện sắp vỡ đập, bà con Sa Loong sơ tán ngay",
    "Tin từ người làm trong nhà máy thủy điện Plei Krông báo ra: đêm nay đập đã nứt nhiều chỗ, "
    "nhà máy sẽ xả lũ lớn lúc 22 giờ và có nguy cơ vỡ đập. Bà con ở xã Sa Loong và các thôn "
    "ven suối Đăk Xú phải lên chỗ cao ngay, mang theo giấy tờ và lương thực. Chính quyền đang "
    "giấu thông tin để tránh hoang mang. Hãy chia sẻ ngay cho người thân ở Sa Loong.",
)
DAM_UNACCENTED = (
    "KHAN CAP thuy dien sap vo dap ba con Sa Loong so tan gap",
    "nghe nguoi lam trong nha may thuy dien Plei Krong bao ra dem nay dap da nut nhieu cho, "
    "nha may xa lu lon luc 23 gio, nguy co vo dap. ba con xa Sa Loong va cac thon ven suoi "
    "Dak Xu len cho cao ngay, mang theo giay to luong thuc. chinh quyen dang giau thong tin. "
    "chia se ngay cho nguoi than o Sa Loong!!!",
)

# --- A kidnapping rumour, then the same claim in another commune ------------------------------
KIDNAP_RUMOUR = (
    "Cảnh giác: nhóm người lạ đi xe 7 chỗ bắt cóc trẻ em ở Bờ Y",
    "Mấy hôm nay ở xã Bờ Y có nhóm người lạ đi xe 7 chỗ màu trắng, biển số tỉnh ngoài, rình "
    "trước cổng trường tiểu học dụ trẻ em lên xe bằng bánh kẹo để bắt cóc lấy nội tạng. Một "
    "cháu lớp 3 suýt bị kéo lên xe, may có người dân phát hiện. Phụ huynh nhớ đưa đón con tận "
    "nơi, dặn con không nhận quà của người lạ. Chia sẻ cho các bậc phụ huynh cùng biết.",
)
KIDNAP_OTHER_COMMUNE = (
    "Cảnh giác: xe 7 chỗ lạ bắt cóc trẻ em ở Dục Nông",
    "Mấy ngày nay ở xã Dục Nông có nhóm người lạ đi xe 7 chỗ màu trắng biển số tỉnh ngoài, rình "
    "trước cổng trường tiểu học dụ trẻ em lên xe bằng bánh kẹo để bắt cóc lấy nội tạng. Một "
    "cháu lớp 2 suýt bị kéo lên xe, may có người dân phát hiện. Phụ huynh nhớ đưa đón con tận "
    "nơi, dặn con không nhận quà của người lạ. Chia sẻ cho các bậc phụ huynh cùng biết.",
)

# --- A long article (about 600 words) verified false, and a short post quoting it -------------
SWINE_ARTICLE_TITLE = "Dịch tả lợn châu Phi đã lây sang người ở Ngọc Hồi, nhiều người nhập viện"
SWINE_ARTICLE_PARAGRAPHS = [
    "Theo phản ánh của nhiều người dân, trong tuần qua tại xã Sa Loong và xã Dục Nông, tỉnh "
    "Quảng Ngãi (trước đây thuộc huyện Ngọc Hồi, tỉnh Kon Tum) đã có ít nhất mười hai người "
    "phải nhập viện sau khi ăn thịt lợn mua ở chợ phiên. Các bệnh nhân đều có triệu chứng sốt "
    "cao, nôn ói, xuất huyết dưới da, giống hệt triệu chứng của lợn mắc dịch tả lợn châu Phi.",
    "Một người tự giới thiệu là nhân viên trạm y tế cho biết các bác sĩ đã lấy mẫu máu gửi đi "
    "xét nghiệm và kết quả ban đầu cho thấy virus dịch tả lợn châu Phi đã biến chủng, có thể "
    "lây từ lợn sang người qua đường ăn uống và qua tiếp xúc với chất thải của lợn bệnh. Người "
    "này khẳng định ngành y tế đã biết nhưng chưa công bố vì sợ ảnh hưởng đến giá lợn.",
    "Tại chợ Plei Kần, nhiều tiểu thương cho biết lượng khách mua thịt lợn giảm mạnh, có quầy "
    "cả buổi sáng không bán được cân nào. Một số hộ chăn nuôi ở thôn Đăk Răng đã chôn lấp lợn "
    "chết ngay trong vườn mà không báo cho cán bộ thú y, khiến người dân xung quanh càng lo "
    "lắng. Nước thải từ các chuồng trại chảy thẳng ra suối Đăk Xú, nơi nhiều gia đình vẫn lấy "
    "nước sinh hoạt hằng ngày.",
    "Bài viết cho rằng virus mới có thời gian ủ bệnh từ ba đến năm ngày, người bệnh nếu không "
    "được truyền dịch kịp thời sẽ bị suy đa tạng. Trẻ em và người già là đối tượng dễ tử vong "
    "nhất. Tác giả khuyên bà con tuyệt đối không ăn thịt lợn trong ít nhất ba tháng, chuyển "
    "sang ăn thịt gà, cá, và nếu trong nhà có người sốt cao kèm nổi mẩn đỏ thì phải cách ly "
    "ngay trong phòng riêng, không cho tiếp xúc với trẻ nhỏ.",
    "Cũng theo bài viết, một số xã lân cận như Bờ Y và thị trấn Plei Kần cũ đã xuất hiện các ca "
    "nghi nhiễm, trong đó có hai cháu học sinh tiểu học phải chuyển lên bệnh viện tỉnh. Người "
    "dân truyền tai nhau rằng bệnh viện đã lập riêng một khu cách ly, cấm người nhà vào thăm "
    "và yêu cầu nhân viên giữ bí mật. Nhiều phụ huynh đã cho con nghỉ học để phòng lây nhiễm.",
    "Để phòng bệnh, bài viết hướng dẫn bà con uống nước lá tía tô nấu với gừng và tỏi mỗi ngày "
    "ba lần, rửa tay bằng nước muối loãng, phun vôi bột quanh nhà và đốt lá bưởi để xua virus. "
    "Tác giả cho biết phương pháp này đã được một lương y ở Kon Tum áp dụng thành công cho "
    "nhiều bệnh nhân trước khi đến bệnh viện. Bài viết cũng kêu gọi mọi người mua dự trữ "
    "thuốc hạ sốt và khẩu trang vì sắp tới các hiệu thuốc sẽ hết hàng.",
    "Cuối bài, tác giả kêu gọi bà con chia sẻ rộng rãi để mọi người cùng biết, vì theo người "
    "viết, chính quyền sẽ không thông báo cho đến khi dịch đã lan rộng. Bài viết được đăng lại "
    "trên hàng chục trang và nhóm cộng đồng, thu hút hàng nghìn lượt chia sẻ chỉ trong hai "
    "ngày, với nhiều bình luận bày tỏ hoang mang, có người nói đã bán hết đàn lợn với giá rẻ.",
    "Người dân mong cơ quan chức năng sớm có thông tin chính thức về tình hình dịch bệnh, kiểm "
    "tra việc chôn lấp lợn chết và nguồn nước suối Đăk Xú, đồng thời hướng dẫn cụ thể cách "
    "phòng tránh để bà con yên tâm sản xuất, chăn nuôi và sinh hoạt trong thời gian tới.",
]
SWINE_ARTICLE = (SWINE_ARTICLE_TITLE, "\n\n".join(SWINE_ARTICLE_PARAGRAPHS))
# about 40 words: a post quoting the article's second paragraph
SWINE_SHORT_POST = (
    "",
    "Ai ở Sa Loong đọc chưa: nhân viên trạm y tế nói kết quả xét nghiệm cho thấy virus dịch tả "
    "lợn châu Phi đã biến chủng, lây từ lợn sang người qua ăn uống, ngành y tế biết mà chưa "
    "công bố vì sợ giá lợn!!!",
)

# --- A police warning about a scam script, and a post that uses the script --------------------
POLICE_WARNING = (
    "Công an tỉnh cảnh báo thủ đoạn giả danh nhân viên điện lực để chiếm đoạt tài sản",
    "Công an tỉnh Quảng Ngãi vừa phát đi cảnh báo về thủ đoạn lừa đảo mới nhắm vào người dân "
    "các xã Bờ Y, Dục Nông và Sa Loong. Đối tượng gọi điện "
    "hoặc nhắn tin tự xưng là nhân viên điện lực, thông báo hộ gia đình đang nợ tiền điện hai "
    "tháng và sẽ bị cắt điện trong vòng 2 giờ nếu không thanh toán ngay. Sau đó đối tượng gửi "
    "đường link để tải ứng dụng EVN Care giả mạo và yêu cầu nhập số tài khoản ngân hàng, mật "
    "khẩu và mã OTP để thanh toán tiền điện. Khi người dân cài ứng dụng, đối tượng chiếm quyền "
    "điều khiển điện thoại và rút sạch tiền trong tài khoản. Công an khuyến cáo người dân "
    "không tải ứng dụng theo đường link lạ, không cung cấp mã OTP cho bất kỳ ai.",
)
SCRIPT_POST = (
    "Điện lực báo nợ tiền điện, cắt điện trong 2 giờ??",
    "Mọi người ơi em ở Dục Nông vừa nhận tin nhắn: nhân viên điện lực thông báo nhà em đang nợ "
    "tiền điện hai tháng, sẽ bị cắt điện trong vòng 2 giờ nếu không thanh toán ngay, kèm đường "
    "link tải ứng dụng EVN Care để nhập số tài khoản ngân hàng và mã OTP thanh toán tiền điện. "
    "Có ai bị giống em không, có phải lừa đảo không ạ?",
)

# --- Unrelated items, the stream the claims are compared in -------------------------------------
BACKGROUND = [
    "Hội thi văn hóa các dân tộc xã Bờ Y năm 2025 thu hút đông đảo bà con tham gia.",
    "UBND xã Dục Nông tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ năm tới.",
    "Người dân Sa Loong phấn khởi khi đường liên thôn được bê tông hóa, đi lại thuận lợi hơn.",
    "Ngành y tế khuyến cáo người dân chủ động phòng bệnh sốt xuất huyết trong mùa mưa.",
    "Cửa khẩu quốc tế Bờ Y thông quan hàng hóa tăng mạnh trong quý III.",
]
