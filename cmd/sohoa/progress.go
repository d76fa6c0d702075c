package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar on a terminal: pages done of total, pages
// per minute and time left. Result lines are printed above it. On a
// non-terminal it draws nothing and only passes lines through.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	start   time.Time
	total   map[int64]int
	done    int
	pages   int
	records int
	last    time.Time
	drawn   bool
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty, start: time.Now(), total: map[int64]int{}}
}

// setPages records a document's page count.
func (p *progress) setPages(id int64, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages += n - p.total[id]
	p.total[id] = n
	p.drawLocked(false)
}

// pageDone counts a page.
func (p *progress) pageDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.drawLocked(false)
}

// println prints a line on the bar's own writer, above the bar.
func (p *progress) println(line string) { p.printlnTo(p.w, line) }

// printlnTo prints a line on w (stdout, say) above the bar: the bar is
// cleared first and drawn again after.
func (p *progress) printlnTo(w io.Writer, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records++
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(w, line)
	p.drawn = false
	p.drawLocked(true)
}

// finish clears the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) drawLocked(force bool) {
	if !p.tty {
		return
	}
	now := time.Now()
	if !force && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r\033[K"+p.lineLocked(now))
	p.drawn = true
}

func (p *progress) lineLocked(now time.Time) string {
	const width = 24
	frac := 0.0
	if p.pages > 0 {
		frac = float64(p.done) / float64(p.pages)
	}
	filled := int(frac*width + 0.5)
	if filled > width {
		filled = width
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > time.Second {
		rate = float64(p.done) / elapsed.Minutes()
	}
	eta := "…"
	if rate > 0 && p.pages >= p.done {
		left := time.Duration(float64(p.pages-p.done) / rate * float64(time.Minute))
		eta = left.Round(time.Second).String()
	}
	return fmt.Sprintf("%s %d/%d trang (pages) · %.1f trang/phút (pages/min) · còn (ETA) %s", bar, p.done, p.pages, rate, eta)
}
