// Package classify decides a document's type (loại văn bản) and field
// (lĩnh vực) from its OCR text and extracted fields, with confidences the
// pipeline can threshold to send a record to review.
//
// Two sources of evidence are combined. Rules read what the document says
// about itself: its title line (fuzzy-matched on folded text, so a misread
// diacritic cannot lose it) and the type abbreviation of its number ("QĐ",
// "TTr"; none plus a "V/v" subject for a letter). A multinomial naive Bayes
// Model over folded unigrams and bigrams, trained from labelled examples and
// retrainable from clerks' corrections, reads everything else. See
// Model.Classify for how they are combined.
package classify

// Document-type slugs.
const (
	QuyetDinh                = "quyet-dinh"
	ChiThi                   = "chi-thi"
	ThongBao                 = "thong-bao"
	BaoCao                   = "bao-cao"
	ToTrinh                  = "to-trinh"
	KeHoach                  = "ke-hoach"
	CongVan                  = "cong-van"
	NghiQuyet                = "nghi-quyet"
	GiayMoi                  = "giay-moi"
	GiayKhaiSinh             = "giay-khai-sinh"
	TrichLucKetHon           = "trich-luc-ket-hon"
	TrichLucKhaiTu           = "trich-luc-khai-tu"
	GiayChungNhanQSDD        = "giay-chung-nhan-qsdd"
	GiayPhepXayDung          = "giay-phep-xay-dung"
	GiayChungNhanHoKinhDoanh = "giay-chung-nhan-ho-kinh-doanh"
	BanSaoChungThuc          = "ban-sao-chung-thuc"
	TypeOther                = "khac"
)

// Field (lĩnh vực) slugs.
const (
	HoTich     = "ho-tich"
	ChungThuc  = "chung-thuc"
	DatDai     = "dat-dai"
	XayDung    = "xay-dung"
	KinhDoanh  = "kinh-doanh"
	NoiVu      = "noi-vu"
	FieldOther = "khac"
)

// Label is a slug with its Vietnamese display name.
type Label struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

var types = []Label{
	{QuyetDinh, "Quyết định"},
	{ChiThi, "Chỉ thị"},
	{ThongBao, "Thông báo"},
	{BaoCao, "Báo cáo"},
	{ToTrinh, "Tờ trình"},
	{KeHoach, "Kế hoạch"},
	{CongVan, "Công văn"},
	{NghiQuyet, "Nghị quyết"},
	{GiayMoi, "Giấy mời"},
	{GiayKhaiSinh, "Giấy khai sinh"},
	{TrichLucKetHon, "Trích lục kết hôn"},
	{TrichLucKhaiTu, "Trích lục khai tử"},
	{GiayChungNhanQSDD, "Giấy chứng nhận quyền sử dụng đất"},
	{GiayPhepXayDung, "Giấy phép xây dựng"},
	{GiayChungNhanHoKinhDoanh, "Giấy chứng nhận đăng ký hộ kinh doanh"},
	{BanSaoChungThuc, "Bản sao chứng thực"},
	{TypeOther, "Khác"},
}

var fields = []Label{
	{HoTich, "Hộ tịch"},
	{ChungThuc, "Chứng thực"},
	{DatDai, "Đất đai"},
	{XayDung, "Xây dựng"},
	{KinhDoanh, "Kinh doanh"},
	{NoiVu, "Nội vụ"},
	{FieldOther, "Khác"},
}

// Types lists the document types in display order.
func Types() []Label { return append([]Label(nil), types...) }

// Fields lists the fields (lĩnh vực) in display order.
func Fields() []Label { return append([]Label(nil), fields...) }

// TypeName returns the display name of a document-type slug ("Quyết
// định"), or "" for an unknown slug.
func TypeName(slug string) string { return nameOf(types, slug) }

// FieldName returns the display name of a field slug ("Hộ tịch"), or "".
func FieldName(slug string) string { return nameOf(fields, slug) }

func nameOf(ls []Label, slug string) string {
	for _, l := range ls {
		if l.Slug == slug {
			return l.Name
		}
	}
	return ""
}

// typeField is the field a type always belongs to; admin document types
// belong to whatever field their subject is about.
var typeField = map[string]string{
	GiayKhaiSinh:             HoTich,
	TrichLucKetHon:           HoTich,
	TrichLucKhaiTu:           HoTich,
	GiayChungNhanQSDD:        DatDai,
	GiayPhepXayDung:          XayDung,
	GiayChungNhanHoKinhDoanh: KinhDoanh,
	BanSaoChungThuc:          ChungThuc,
}
