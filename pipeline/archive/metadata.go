package archive

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Meta describes the archived document. PDF/A keeps it twice, in the
// document information dictionary and as XMP; the writer makes both say the
// same thing.
type Meta struct {
	// Title is the document's title, e.g. its number, symbol and subject.
	Title string
	// Subject is the trích yếu (what the document is about).
	Subject string
	// Author is the issuing body.
	Author string
	// Keywords are free words for search, comma separated.
	Keywords string
	// Producer names the software; "sohoa" when empty.
	Producer string
	// Created is when the archive was made; the time NewWriter is called
	// when zero. It is kept to the second, in its own time zone.
	Created time.Time
	// Lang is the document's language as a BCP 47 tag; "vi" when empty.
	Lang string
}

// normalize fills the defaults and cleans the text fields: NFC, and no
// control characters, which XML cannot carry.
func (m Meta) normalize(now func() time.Time) Meta {
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0xfffe || r == 0xffff {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return -1
			}
			return r
		}, s)
		return norm.NFC.String(strings.TrimSpace(s))
	}
	m.Title, m.Subject, m.Author = clean(m.Title), clean(m.Subject), clean(m.Author)
	m.Keywords, m.Producer, m.Lang = clean(m.Keywords), clean(m.Producer), clean(m.Lang)
	if m.Producer == "" {
		m.Producer = "sohoa"
	}
	if m.Lang == "" {
		m.Lang = "vi"
	}
	if m.Created.IsZero() {
		m.Created = now()
	}
	m.Created = m.Created.Truncate(time.Second)
	return m
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, offset := t.Zone()
	sign := '+'
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign,
		offset/3600, offset/60%60)
}

// xmpDate formats t as an XMP date with the same instant and precision as
// pdfDate.
func xmpDate(t time.Time) string {
	return t.Format("2006-01-02T15:04:05-07:00")
}

// infoDict is the document information dictionary.
func (m Meta) infoDict() string {
	var b strings.Builder
	b.WriteString("<<")
	entry := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "/%s %s ", key, textString(value))
		}
	}
	entry("Title", m.Title)
	entry("Author", m.Author)
	entry("Subject", m.Subject)
	entry("Keywords", m.Keywords)
	entry("Producer", m.Producer)
	date := pdfDate(m.Created)
	fmt.Fprintf(&b, "/CreationDate (%s) /ModDate (%s)>>", date, date)
	return b.String()
}

// xmp is the XMP metadata packet: PDF/A identification plus the same
// values as infoDict, in UTF-8.
func (m Meta) xmp() []byte {
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	// The packet header carries a UTF-8 byte order mark, as XMP asks.
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n" +
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n" +
		"<rdf:Description rdf:about=\"\"\n" +
		" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n" +
		" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n" +
		" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n" +
		" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n" +
		"<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n" +
		"<dc:format>application/pdf</dc:format>\n")
	if m.Title != "" {
		fmt.Fprintf(&b, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", esc(m.Title))
	}
	if m.Author != "" {
		fmt.Fprintf(&b, "<dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", esc(m.Author))
	}
	if m.Subject != "" {
		fmt.Fprintf(&b, "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", esc(m.Subject))
	}
	fmt.Fprintf(&b, "<dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>\n", esc(m.Lang))
	if m.Keywords != "" {
		fmt.Fprintf(&b, "<pdf:Keywords>%s</pdf:Keywords>\n", esc(m.Keywords))
	}
	fmt.Fprintf(&b, "<pdf:Producer>%s</pdf:Producer>\n", esc(m.Producer))
	date := xmpDate(m.Created)
	fmt.Fprintf(&b, "<xmp:CreateDate>%s</xmp:CreateDate>\n<xmp:ModifyDate>%s</xmp:ModifyDate>\n"+
		"<xmp:MetadataDate>%s</xmp:MetadataDate>\n", date, date, date)
	b.WriteString("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n")
	// Padding lets a later tool edit the packet in place.
	b.WriteString(strings.Repeat(strings.Repeat(" ", 99)+"\n", 20))
	b.WriteString("<?xpacket end=\"w\"?>")
	return []byte(b.String())
}
