package classify

import (
	"fmt"
	"strings"

	"sohoa/ocr"
	"sohoa/pipeline/extract"
	"sohoa/pipeline/vntext"
)

// titleType maps the canonical titles of extract.Titles to types; titles
// not listed (QUY CHẾ, BIÊN BẢN, …) are "khac".
var titleType = map[string]string{
	"QUYẾT ĐỊNH":              QuyetDinh,
	"CHỈ THỊ":                 ChiThi,
	"THÔNG BÁO":               ThongBao,
	"BÁO CÁO":                 BaoCao,
	"TỜ TRÌNH":                ToTrinh,
	"KẾ HOẠCH":                KeHoach,
	"NGHỊ QUYẾT":              NghiQuyet,
	"GIẤY MỜI":                GiayMoi,
	"GIẤY KHAI SINH":          GiayKhaiSinh,
	"TRÍCH LỤC KHAI SINH":     GiayKhaiSinh,
	"TRÍCH LỤC KẾT HÔN":       TrichLucKetHon,
	"GIẤY CHỨNG NHẬN KẾT HÔN": TrichLucKetHon,
	"TRÍCH LỤC KHAI TỬ":       TrichLucKhaiTu,
	"GIẤY CHỨNG TỬ":           TrichLucKhaiTu,
	"GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT":     GiayChungNhanQSDD,
	"GIẤY PHÉP XÂY DỰNG":                    GiayPhepXayDung,
	"GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH": GiayChungNhanHoKinhDoanh,
	"BẢN SAO": BanSaoChungThuc,
}

// symbolType maps type abbreviations of Phụ lục III to types; the others
// (QC, HD, BB, …) are "khac".
var symbolType = map[string]string{
	"QĐ": QuyetDinh, "CT": ChiThi, "TB": ThongBao, "BC": BaoCao, "TTr": ToTrinh,
	"KH": KeHoach, "NQ": NghiQuyet, "GM": GiayMoi,
}

// evidence is one rule's vote for a type.
type evidence struct {
	kind     string // "title", "symbol", "letter"
	slug     string
	strength float64 // 0..1: the extraction confidence behind the vote
	reason   string
}

func typeForTitle(title string) string {
	if strings.HasPrefix(title, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT") {
		return GiayChungNhanQSDD
	}
	if t, ok := titleType[title]; ok {
		return t
	}
	return TypeOther
}

// typeRules reads the evidence a document gives about its own type.
func typeRules(text string, f extract.Fields) []evidence {
	var ev []evidence
	if copyMark(text) {
		// A certified copy carries the copied document's title and
		// number: they say nothing about the copy's own type.
		return []evidence{{"title", BanSaoChungThuc, 0.9, "certified-copy mark → " + BanSaoChungThuc}}
	}
	if f.Title.Value != "" {
		title, dist, ok := extract.MatchTitle(f.Title.Value)
		if ok {
			s := f.Title.Confidence * (1 - 0.1*float64(dist))
			ev = append(ev, evidence{"title", typeForTitle(title), s, fmt.Sprintf("title %q → %s", f.Title.Value, typeForTitle(title))})
		}
	}
	if f.Symbol != "" {
		t, ok := symbolType[f.Symbol]
		if !ok {
			t = TypeOther
		}
		ev = append(ev, evidence{"symbol", t, f.Number.Confidence, fmt.Sprintf("symbol %s → %s", f.Symbol, t)})
	}
	if f.Title.Value == "" && f.Symbol == "" {
		// A letter (công văn) has no title, a notation without type
		// abbreviation ("UBND-TP"), a "V/v" subject and a "Kính gửi:".
		// On a degraded scan the subject line may be lost, so the
		// notation and "Kính gửi:" speak for it, more weakly.
		_, notation := extract.SplitNumber(f.Number.Value)
		switch {
		case strings.HasPrefix(f.Subject.Value, "V/v"):
			s := f.Subject.Confidence
			if f.Number.Value == "" {
				s *= 0.8
			}
			ev = append(ev, evidence{"letter", CongVan, s, "no type abbreviation, V/v subject → " + CongVan})
		case notation != "" && addressed(text):
			ev = append(ev, evidence{"letter", CongVan, 0.6, fmt.Sprintf("notation %s without type abbreviation, “Kính gửi” → %s", notation, CongVan)})
		}
	}
	return ev
}

// addressed reports a "Kính gửi:" line among the first lines of text, as a
// letter has under its subject.
func addressed(text string) bool {
	for i, ln := range strings.SplitN(text, "\n", 30) {
		if i >= 25 {
			break
		}
		f := strings.TrimLeft(vntext.Fold(ln), " .,:;|_-")
		if strings.HasPrefix(f, "kinh gui") {
			return true
		}
	}
	return false
}

// copyMark reports the certification stamp of a certified copy: a line of
// its own reading "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH" (body text that
// merely mentions certifying copies does not count).
func copyMark(text string) bool {
	return extract.IsCertificationMark(text)
}

// measureRules measures how often each rule is right on held-out
// examples, with Laplace smoothing, falling back to the default (lower)
// figure when a rule fired too rarely to say.
func measureRules(held []Example) reliability {
	type count struct{ right, n int }
	c := map[string]*count{"title": {}, "symbol": {}, "letter": {}, "field": {}}
	for _, ex := range held {
		f := extract.Extract(pagesOf(ex.Text))
		for _, e := range typeRules(ex.Text, f) {
			c[e.kind].n++
			if e.slug == ex.DocType {
				c[e.kind].right++
			}
		}
		if fixed, ok := typeField[ex.DocType]; ok && ex.Field != "" {
			c["field"].n++
			if fixed == ex.Field {
				c["field"].right++
			}
		}
	}
	r := defaultReliability
	set := func(dst *float64, k string) {
		if x := c[k]; x.n >= 20 {
			// Clean generated text flatters the rules; never trust one
			// beyond 0.98.
			*dst = min(0.98, float64(x.right+1)/float64(x.n+2))
		}
	}
	set(&r.Title, "title")
	set(&r.Symbol, "symbol")
	set(&r.Letter, "letter")
	set(&r.Field, "field")
	return r
}

// pagesOf splits text into pages at form feeds.
func pagesOf(text string) []ocr.Page {
	var pages []ocr.Page
	for _, p := range strings.Split(text, "\f") {
		pages = append(pages, ocr.Page{Text: p, Confidence: 1})
	}
	return pages
}
