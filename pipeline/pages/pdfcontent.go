package pages

import (
	"strconv"
)

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m×n, the matrix that applies m then n (the PDF "cm" operator
// sets CTM to operand×CTM).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2],
		m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2],
		m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4],
		m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// xobjectKind is what a named XObject resource is.
type xobjectKind int

const (
	xobjectOther xobjectKind = iota
	xobjectImage
	xobjectForm
)

// placement is one image drawn by a content stream.
type placement struct {
	name string
	ctm  matrix
}

// contentSummary is what a page's content stream draws, as far as telling
// a scanned page from a composed one needs.
type contentSummary struct {
	images []placement
	// forms counts form XObjects drawn; their content is not inspected.
	forms int
	// painted is set when the page draws vector paths, shadings, inline
	// images or Type 3 glyphs.
	painted bool
	// visibleText and invisibleText count text-showing operators by
	// rendering mode: scanners and OCR tools draw their recognised text
	// invisibly (mode 3) over the page image.
	visibleText, invisibleText int
}

// maxOperands bounds the operand stack of the content scanner: no operator
// it interprets takes more than 6 operands.
const maxOperands = 8

// scanContent reads a page content stream. kind tells which XObject names
// are images or forms. It never fails: unparseable syntax is skipped the
// way viewers skip it, and the caller decides from the summary.
func scanContent(b []byte, kind func(name string) xobjectKind) contentSummary {
	var (
		sum      contentSummary
		nums     []float64 // numeric operands since the last operator
		lastName string
		cur      = graphicsState{ctm: identity}
		saved    []graphicsState
	)
	lx := lexer{b: b}
	for {
		tok, kindTok := lx.next()
		switch kindTok {
		case tokEOF:
			return sum
		case tokNumber:
			f, err := strconv.ParseFloat(string(tok), 64)
			if err != nil {
				f = 0
			}
			if len(nums) == maxOperands {
				copy(nums, nums[1:])
				nums = nums[:maxOperands-1]
			}
			nums = append(nums, f)
			continue
		case tokName:
			lastName = string(tok)
			nums = nums[:0]
			continue
		case tokOther:
			nums = nums[:0]
			continue
		}
		// An operator.
		switch string(tok) {
		case "q":
			if len(saved) < 64 {
				saved = append(saved, cur)
			}
		case "Q":
			if n := len(saved); n > 0 {
				cur = saved[n-1]
				saved = saved[:n-1]
			}
		case "cm":
			if len(nums) >= 6 {
				var m matrix
				copy(m[:], nums[len(nums)-6:])
				cur.ctm = m.mul(cur.ctm)
			}
		case "Tr":
			if len(nums) >= 1 {
				cur.tr = int(nums[len(nums)-1])
			}
		case "Tj", "TJ", "'", "\"":
			if cur.tr == 3 || cur.tr == 7 {
				sum.invisibleText++
			} else {
				sum.visibleText++
			}
		case "Do":
			switch kind(lastName) {
			case xobjectImage:
				sum.images = append(sum.images, placement{name: lastName, ctm: cur.ctm})
			case xobjectForm:
				sum.forms++
			}
		case "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "d0", "d1":
			sum.painted = true
		case "BI":
			// Inline image data is binary and cannot be skipped without
			// parsing its dictionary; a page with one is not a plain
			// scan, which is all the caller needs to know.
			sum.painted = true
			return sum
		}
		nums = nums[:0]
	}
}

// graphicsState is the part of the PDF graphics state the scanner tracks.
type graphicsState struct {
	ctm matrix
	tr  int // text rendering mode
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokNumber
	tokName
	tokOperator
	tokOther // strings, arrays and dictionaries delimiters, booleans
)

// lexer splits a content stream into tokens. Strings, hex strings and
// comments are skipped as whole tokens; array and dictionary delimiters are
// single tokens, so operands inside arrays (TJ) do not reach the operand
// stack as numbers that matter.
type lexer struct {
	b []byte
	i int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) next() ([]byte, tokenKind) {
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '%':
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
		case c == '(':
			l.skipString()
			return nil, tokOther
		case c == '<':
			if l.i+1 < len(l.b) && l.b[l.i+1] == '<' {
				l.i += 2
				return nil, tokOther
			}
			for l.i < len(l.b) && l.b[l.i] != '>' {
				l.i++
			}
			l.i++
			return nil, tokOther
		case c == '>':
			l.i++
			if l.i < len(l.b) && l.b[l.i] == '>' {
				l.i++
			}
			return nil, tokOther
		case c == '[' || c == ']' || c == '{' || c == '}' || c == ')':
			l.i++
			return nil, tokOther
		case c == '/':
			start := l.i + 1
			l.i++
			for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
				l.i++
			}
			return l.b[start:l.i], tokName
		default:
			start := l.i
			for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
				l.i++
			}
			tok := l.b[start:l.i]
			if c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
				return tok, tokNumber
			}
			switch string(tok) {
			case "true", "false", "null":
				return tok, tokOther
			}
			return tok, tokOperator
		}
	}
	return nil, tokEOF
}

// skipString skips a literal string, with nested parentheses and escapes.
func (l *lexer) skipString() {
	depth := 0
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case '\\':
			l.i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.i++
				return
			}
		}
		l.i++
	}
}
