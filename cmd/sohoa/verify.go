package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"sohoa/pipeline/fixity"
	"sohoa/storage/catalog"
)

// runVerify is `sohoa verify`: re-read stored objects and check them
// against the catalog's sha256.
func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", "--all | --unit MÃ | ID... [--json] [--data THƯ-MỤC]", `
Kiểm tra toàn vẹn: đọc lại từ kho từng bản gốc và bản lưu trữ PDF, tính lại
sha256 và so với sha256 danh mục đã ghi lúc nhập. Báo từng đối tượng:
  BỊ THAY ĐỔI / ALTERED    nội dung không còn khớp sha256 (bị sửa, hỏng)
  MẤT / MISSING            hồ sơ trỏ tới một đối tượng không còn trong kho
  THỪA / ORPHANED          đối tượng trong kho không thuộc hồ sơ nào (chỉ với --all)
Mỗi lần kiểm tra được ghi vào nhật ký của hồ sơ (hành động "verify").
Phải nói kiểm tra gì: --all (toàn bộ kho, đọc lại mọi byte, có thể lâu),
--unit MÃ (các hồ sơ của một đơn vị) hoặc mã hồ sơ. Mã thoát 1 khi có đối
tượng bị thay đổi hoặc bị mất; đối tượng thừa chỉ được báo.

Verify fixity: re-read every original and archival PDF from the store,
recompute its sha256 and compare it with the one the catalog recorded at
ingest; report altered, missing and (with --all) orphaned objects. Each
check is an event in the record's history. Say what to check: --all (the
whole store, every byte re-read: it can take long), --unit CODE or record
ids; nothing given is a usage error. Exit status 1 when anything is altered
or missing; orphans are reported only.

Ví dụ / examples:
  sohoa verify --all
  sohoa verify --unit 21181
  sohoa verify 12 15 --json`)
	all := fs.Bool("all", false, "toàn bộ kho, cả đối tượng thừa / the whole store, orphans too")
	unit := fs.String("unit", "", "mã đơn vị: các hồ sơ của đơn vị / a unit code: its records")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "ghi vào nhật ký là ai (mặc định: tên đăng nhập) / who the events are recorded for (default: login)")
	rate := fs.String("max-rate", "0", "đọc tối đa mỗi giây, vd 50MB; 0 = không giới hạn / read at most this per second, e.g. 50MB; 0 = no cap")
	verbose := fs.Bool("v", false, "ghi nhật ký chi tiết / log more")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	chosen := 0
	for _, b := range []bool{*all, *unit != "", len(pos) > 0} {
		if b {
			chosen++
		}
	}
	switch {
	case chosen == 0:
		return usagef("nói kiểm tra gì: --all, --unit MÃ hoặc mã hồ sơ (say what to verify: --all, --unit CODE or record ids)")
	case chosen > 1:
		return usagef("chỉ chọn một: --all, --unit hoặc mã hồ sơ (choose one of --all, --unit, record ids)")
	}
	var ids []int64
	for _, a := range pos {
		id, err := parseID(a)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	bytesPerSec, err := parseRate(*rate)
	if err != nil {
		return usagef("--max-rate %q: %v", *rate, err)
	}
	st, err := e.openData(ctx, *data, *verbose)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range ids {
		if _, err := st.record(ctx, id); err != nil {
			return err
		}
	}
	if *unit != "" {
		recs, err := st.catalog.List(ctx, catalog.Filter{Unit: *unit, Limit: 1})
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return fmt.Errorf("đơn vị %s chưa có hồ sơ nào — xem mã bằng sohoa list (unit %s has no records: check the code with sohoa list)", *unit, *unit)
		}
	}
	v, err := fixity.New(fixity.Config{Catalog: st.catalog, Objects: st.objects, Actor: actorName(*actor),
		BytesPerSecond: bytesPerSec, Logger: st.logger})
	if err != nil {
		return err
	}
	out := newVerifyOutput(e, *asJSON)
	rep, err := v.Verify(ctx, fixity.Selection{All: *all, Unit: *unit, Records: ids}, out.check)
	out.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("%w\nđã kiểm tra %d đối tượng trước khi dừng; chạy lại khi kho truy cập được (%d objects checked before it stopped; run again once the store is reachable)",
			err, rep.Checked, rep.Checked)
	}
	if *asJSON {
		if err := writeJSON(e.stdout, verifyJSON{Report: rep, Clean: rep.Clean(), Problems: nonNil(rep.Problems)}); err != nil {
			return err
		}
	} else {
		printVerifySummary(e.stdout, rep, *all)
	}
	if rep.Missing > 0 || rep.Altered > 0 {
		return errReported
	}
	return nil
}

// verifyJSON is what --json prints.
type verifyJSON struct {
	fixity.Report
	Clean    bool                  `json:"clean"`
	Problems []catalog.FixityCheck `json:"problems"`
}

func nonNil(p []catalog.FixityCheck) []catalog.FixityCheck {
	if p == nil {
		return []catalog.FixityCheck{}
	}
	return p
}

// verifyOutput prints a line per problem as it is found and, on a
// terminal, a progress line below them.
type verifyOutput struct {
	out, errw io.Writer
	json, tty bool
	last      time.Time
	drawn     bool
}

func newVerifyOutput(e *env, asJSON bool) *verifyOutput {
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &verifyOutput{out: e.stdout, errw: e.stderr, json: asJSON, tty: tty}
}

func (o *verifyOutput) check(c catalog.FixityCheck, p fixity.Progress) {
	if c.Result.Problem() && !o.json {
		o.clear()
		fmt.Fprintln(o.out, problemLine(c))
	}
	if !o.tty {
		return
	}
	now := time.Now()
	if p.Done < p.Total && now.Sub(o.last) < 200*time.Millisecond {
		return
	}
	o.last = now
	fmt.Fprintf(o.errw, "\r\033[KĐang kiểm tra / verifying %d/%d đối tượng (objects) · %s", p.Done, p.Total, humanBytes(p.Bytes))
	o.drawn = true
}

func (o *verifyOutput) clear() {
	if o.drawn {
		fmt.Fprint(o.errw, "\r\033[K")
		o.drawn = false
	}
}

func (o *verifyOutput) finish() { o.clear() }

var resultLabels = map[catalog.FixityResult]string{
	catalog.FixityOK:       "NGUYÊN VẸN / OK",
	catalog.FixityAltered:  "BỊ THAY ĐỔI / ALTERED",
	catalog.FixityMissing:  "MẤT / MISSING",
	catalog.FixityOrphaned: "THỪA / ORPHANED",
}

var kindLabels = map[string]string{
	catalog.ObjectOriginal: "bản gốc / original",
	catalog.ObjectArchive:  "bản lưu trữ PDF / archival PDF",
}

// problemLine is one problem as an auditor reads it.
func problemLine(c catalog.FixityCheck) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %s %s", resultLabels[c.Result], kindLabels[c.Kind], c.Key)
	if len(c.Records) > 0 {
		var ids []string
		for _, id := range c.Records {
			ids = append(ids, "#"+strconv.FormatInt(id, 10))
		}
		fmt.Fprintf(&b, " (hồ sơ / record %s)", strings.Join(ids, ", "))
	}
	if c.Detail != "" {
		b.WriteString(": " + c.Detail)
	}
	if c.Result == catalog.FixityAltered && c.Got != "" && c.Expected != "" {
		fmt.Fprintf(&b, " [đọc được / read %s, đúng ra / expected %s]", c.Got, c.Expected)
	}
	return b.String()
}

func printVerifySummary(w io.Writer, r fixity.Report, all bool) {
	orphans := ""
	orphansEN := ""
	if all {
		orphans = fmt.Sprintf(", %d thừa", r.Orphaned)
		orphansEN = fmt.Sprintf(", %d orphaned", r.Orphaned)
	}
	took := r.Finished.Sub(r.Started).Round(time.Millisecond)
	fmt.Fprintf(w, "Đã kiểm tra %d đối tượng (%s, %v): %d nguyên vẹn, %d bị thay đổi, %d bị mất%s.\n",
		r.Checked, humanBytes(r.Bytes), took, r.OK, r.Altered, r.Missing, orphans)
	fmt.Fprintf(w, "Checked %d objects (%s, %v): %d ok, %d altered, %d missing%s.\n",
		r.Checked, humanBytes(r.Bytes), took, r.OK, r.Altered, r.Missing, orphansEN)
	switch {
	case r.Altered > 0 || r.Missing > 0:
		fmt.Fprintln(w, "Báo ngay cho bộ phận CNTT: khôi phục các đối tượng trên từ bản sao; xem lịch sử bằng sohoa show ID.")
		fmt.Fprintln(w, "Tell IT at once: restore the objects above from a copy; see a record's history with sohoa show ID.")
	case r.Orphaned > 0:
		fmt.Fprintln(w, "Đối tượng thừa không làm mất hồ sơ nào; sohoa doctor xem và dọn chúng.")
		fmt.Fprintln(w, "Orphans lose no record; sohoa doctor reviews and removes them.")
	}
}

// parseRate reads a byte rate such as "50MB", "512kB", "1GiB" or "0";
// a trailing "/s" is allowed.
func parseRate(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, errors.New("viết như 50MB hoặc 0 (write it like 50MB, or 0)")
	}
	return int64(f * float64(mult)), nil
}

// parsePeriod reads a duration that may be given in days: "30d", "12h",
// "90m"; "0" or "off" is none.
func parsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "off" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 {
			return 0, errors.New("viết như 30d, 12h hoặc off (write it like 30d, 12h or off)")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("viết như 30d, 12h hoặc off (write it like 30d, 12h or off)")
	}
	return d, nil
}

// startVerification starts the continuous fixity pass of `sohoa serve`:
// the whole store re-read once per every ("30d"; "off" for none), at most
// rate bytes a second. The returned stop ends it and waits.
func startVerification(ctx context.Context, w io.Writer, st *stores, every, rate string, logger *slog.Logger) (stop func(), err error) {
	period, err := parsePeriod(every)
	if err != nil {
		return nil, usagef("--verify-every %q: %v", every, err)
	}
	bytesPerSec, err := parseRate(rate)
	if err != nil {
		return nil, usagef("--verify-max-rate %q: %v", rate, err)
	}
	if period == 0 {
		fmt.Fprintln(w, "Không kiểm tra toàn vẹn liên tục (--verify-every off) / continuous fixity checks are off.")
		return func() {}, nil
	}
	v, err := fixity.New(fixity.Config{Catalog: st.catalog, Objects: st.objects, Actor: "sohoa",
		BytesPerSecond: bytesPerSec, Logger: logger})
	if err != nil {
		return nil, err
	}
	c, err := v.Continuous(period)
	if err != nil {
		return nil, err
	}
	capText := "không giới hạn / no cap"
	if bytesPerSec > 0 {
		capText = humanBytes(bytesPerSec) + "/s"
	}
	fmt.Fprintf(w, "Kiểm tra toàn vẹn: toàn kho mỗi %s, tối đa %s / fixity: the whole store every %s, at most %s\n",
		every, capText, every, capText)
	c.Start(ctx)
	return c.Stop, nil
}
