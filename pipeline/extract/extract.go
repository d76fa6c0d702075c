// Package extract reads the metadata of an administrative document from its
// OCR text: number and symbol (số ký hiệu), issue date, issuing body, title
// and subject (trích yếu), each with a confidence the pipeline compares to
// its review threshold.
//
// Extraction keys on the layout Nghị định 30/2020/NĐ-CP prescribes (header
// top left, motto top right, "Số:" under the header, place and date under
// the motto, title, subject) and tolerates what Tesseract does to real scans:
// lost diacritics, misread letters, handwritten digits read as junk, the two
// header columns interleaved on one text line, a signature stamp's text.
//
// Extraction never invents a value: when the handwritten number or day
// cannot be read, the field is empty (or, for the number, only the symbol is
// given) with a low confidence, so the record goes to a clerk.
package extract

import (
	"sohoa/ocr"
)

// Value is one extracted field. Confidence is 0..1: how clean the match
// was times the OCR confidence of the words that produced it. A field that
// was not found has Value "" and Confidence 0.
type Value struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Fields are the metadata of one document.
type Fields struct {
	// Number is the số ký hiệu as printed, normalised: "86/QĐ-UBND",
	// "05/2024/NQ-HĐND", "574/UBND-KTTH". When the digits cannot be read it
	// is the notation alone with a leading slash, "/QĐ-UBND", with a
	// confidence of at most 0.3. For civil-status extracts it is the entry
	// number ("123"; the register is in Book); for land-use certificates it
	// is the serial, "CS 05494"; for household-business certificates the
	// business code, "74C2044227"; for certified copies (bản sao chứng
	// thực) the certification number ("Số chứng thực: 2413"), with Issued
	// the certification date: the copy is the result being digitized.
	Number Value `json:"number"`
	// Issued is the issue date from the place-and-date line, ISO 8601
	// ("2025-01-16"). When the day (often handwritten) cannot be read, it
	// is empty even if month and year can: a half date would be taken for a
	// whole one downstream.
	Issued Value `json:"issued"`
	// Issuer is the issuing body from the header's left column, parent and
	// agency joined by a space, upper case, "ỦY BAN NHÂN DÂN TỈNH QUẢNG
	// NGÃI". For a certified copy the header is the copied document's,
	// so its confidence is at most 0.3. "UỶ" is written "ỦY" (the spelling of Nghị định 30's forms), and
	// unit names whose diacritics OCR lost are restored from the
	// administrative unit catalogue (provinces, districts, 2025 communes).
	Issuer Value `json:"issuer"`
	// Subject is the trích yếu: the "Về việc …" or "V/v …" line(s), joined,
	// or the text that follows the title when there is no such prefix
	// ("Xử phạt vi phạm hành chính").
	Subject Value `json:"subject"`
	// Title is the document's title line, "QUYẾT ĐỊNH", "TRÍCH LỤC KẾT HÔN";
	// known titles are given in their canonical spelling. Letters (công
	// văn) have none.
	Title Value `json:"title"`
	// Book is the register (quyển số) of a civil-status extract, "01/2021",
	// or of a certification, "03/2017-SCT/BS".
	Book Value `json:"book"`
	// Symbol is the type abbreviation from the number, "QĐ", "CT", "TTr";
	// "" when the notation has none (a letter's "UBND-VP").
	Symbol string `json:"symbol"`
}

// Extract reads the fields of one document from its pages in order. The
// header fields are looked for on the first page that has them.
func Extract(pages []ocr.Page) Fields {
	var f Fields
	var all []line
	first := true
	for _, p := range pages {
		lines := pageLines(p)
		if len(lines) == 0 {
			continue
		}
		all = append(all, lines...)
		if first {
			f = readPage(lines, true)
			first = false
			continue
		}
		// Later pages are body text: only what forms print at their
		// foot (a certificate's serial, the place-and-date line of a
		// civil-status extract, the signer's body) may come from them.
		f = merge(f, readPage(lines, false))
	}
	if c, ok := findCertification(all); ok {
		f.Number, f.Book, f.Symbol = c.number, c.book, ""
		// The header is the copied document's; the certifying body is
		// in the seal, which OCR does not read.
		f.Issuer.Confidence = min(f.Issuer.Confidence, 0.3)
		// Issued is the certification's date; the copied document's
		// date in the header is not it, even when the handwritten day
		// of the certification could not be read.
		f.Issued = c.issued
	}
	return f
}

// merge keeps the fields of a and fills the empty ones from b.
func merge(a, b Fields) Fields {
	pick := func(x, y Value) Value {
		if x.Value != "" {
			return x
		}
		return y
	}
	if a.Number.Value == "" {
		a.Symbol = b.Symbol
	}
	a.Number = pick(a.Number, b.Number)
	a.Issued = pick(a.Issued, b.Issued)
	a.Issuer = pick(a.Issuer, b.Issuer)
	a.Book = pick(a.Book, b.Book)
	return a
}

// readPage extracts what one page has. Only the first page is read for
// title and subject, and only a place-and-date line counts as a date on
// the others.
func readPage(lines []line, first bool) Fields {
	var f Fields
	lay := analyse(lines)
	lay.bodyPage = !first
	num := findNumber(lines, lay)
	f.Number, f.Symbol = num.value, num.symbol
	f.Book = findBook(lines, lay)
	date := findDate(lines, lay)
	f.Issued = date.value
	lay.numberLine, lay.dateLine = num.line, date.line
	if first {
		f.Issuer = findIssuer(lines, lay)
		title := findTitle(lines, lay)
		f.Title = title.value
		f.Subject = findSubject(lines, lay, title)
	}
	if f.Issuer.Value == "" {
		f.Issuer = signerIssuer(lines)
	}
	return f
}
