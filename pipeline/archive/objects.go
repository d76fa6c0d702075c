package archive

import (
	"bufio"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
)

// objectWriter writes numbered PDF objects to a stream and remembers only
// where each one starts, so the cross-reference table can be written at the
// end without keeping any object in memory.
type objectWriter struct {
	out     *bufio.Writer
	digest  hash.Hash // everything written, for the document ID
	pos     int64
	offsets []int64 // offsets[n] is where object n starts; index 0 unused
	err     error
}

func newObjectWriter(w io.Writer, digest hash.Hash) *objectWriter {
	return &objectWriter{
		out:     bufio.NewWriterSize(w, 64<<10),
		digest:  digest,
		offsets: []int64{0},
	}
}

// Write makes objectWriter an io.Writer for stream bodies. After the first
// error every write fails with it.
func (o *objectWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.out.Write(p)
	o.digest.Write(p[:n])
	o.pos += int64(n)
	if err != nil {
		o.err = err
	}
	return n, err
}

func (o *objectWriter) print(s string) {
	if o.err != nil {
		return
	}
	n, err := o.out.WriteString(s)
	io.WriteString(o.digest, s[:n])
	o.pos += int64(n)
	if err != nil {
		o.err = err
	}
}

func (o *objectWriter) printf(format string, args ...any) {
	o.print(fmt.Sprintf(format, args...))
}

// reserve allocates an object number to be written later.
func (o *objectWriter) reserve() int {
	o.offsets = append(o.offsets, -1)
	return len(o.offsets) - 1
}

// begin starts object n. PDF/A wants "obj" and "endobj" on their own lines.
func (o *objectWriter) begin(n int) {
	o.offsets[n] = o.pos
	o.printf("%d 0 obj\n", n)
}

func (o *objectWriter) end() {
	o.print("\nendobj\n")
}

// object writes object n whose body is a dictionary or another direct
// object.
func (o *objectWriter) object(n int, body string) {
	o.begin(n)
	o.print(body)
	o.end()
}

// stream writes object n as a stream of known length whose data is the
// parts one after another. dict holds the dictionary entries other than
// /Length.
func (o *objectWriter) stream(n int, dict string, parts ...[]byte) {
	length := 0
	for _, p := range parts {
		length += len(p)
	}
	o.begin(n)
	o.printf("<<%s /Length %d>>\nstream\n", dict, length)
	for _, p := range parts {
		o.Write(p)
	}
	o.print("\nendstream")
	o.end()
}

// openStream starts object n as a stream whose length is not known yet: the
// /Length is an indirect object written after the data, so the body can be
// produced straight into the output. The returned function ends the stream.
func (o *objectWriter) openStream(n int, dict string) (body io.Writer, done func()) {
	lengthObj := o.reserve()
	o.begin(n)
	o.printf("<<%s /Length %d 0 R>>\nstream\n", dict, lengthObj)
	start := o.pos
	return o, func() {
		length := o.pos - start
		o.print("\nendstream")
		o.end()
		o.object(lengthObj, strconv.FormatInt(length, 10))
	}
}

// flush hands everything written so far to the underlying writer.
func (o *objectWriter) flush() error {
	if o.err != nil {
		return o.err
	}
	if err := o.out.Flush(); err != nil {
		o.err = err
	}
	return o.err
}

// xref writes the cross-reference table and returns where it starts. Every
// reserved object must have been written.
func (o *objectWriter) xref() (int64, error) {
	for n := 1; n < len(o.offsets); n++ {
		if o.offsets[n] < 0 {
			return 0, fmt.Errorf("object %d was reserved but never written", n)
		}
	}
	start := o.pos
	o.printf("xref\n0 %d\n", len(o.offsets))
	// Each entry is exactly 20 bytes: the EOL is space + LF.
	o.print("0000000000 65535 f \n")
	for _, off := range o.offsets[1:] {
		o.printf("%010d 00000 n \n", off)
	}
	return start, o.err
}

// num formats a real number the way PDF wants it: no exponent, at most
// three decimals, no trailing zeros.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// textString encodes s as a PDF text string: a literal string when it is
// printable ASCII, otherwise UTF-16BE with a byte order mark, in hex.
func textString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}
