package pipeline

import (
	"sync"

	"sohoa/storage/catalog"
)

// document is one claimed job on its way through the stages. The preparer
// sends its pages to the OCR workers; whichever goroutine finishes the last
// page (or the preparer, if no page was left to do) hands it to a finisher,
// exactly once.
type document struct {
	job  catalog.Job
	rec  catalog.Record
	path string // local copy of the original

	mu        sync.Mutex
	sent      int // pages handed to OCR workers
	done      int // of those, finished
	splitDone bool
	handed    bool
	err       error // first failure; the document is not finished normally
	lost      bool  // our lease was taken: write nothing more
	settled   bool  // the queue was told the job's outcome (done, retry, failed)
}

// addPage counts a page handed to the OCR workers.
func (d *document) addPage() {
	d.mu.Lock()
	d.sent++
	d.mu.Unlock()
}

// pageDone counts a finished page and reports whether the document is now
// complete and must go to a finisher.
func (d *document) pageDone() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done++
	return d.readyLocked()
}

// endSplit records that no more pages will be sent, with the splitter's
// error if any, and reports whether the document must go to a finisher.
func (d *document) endSplit(err error) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil && d.err == nil {
		d.err = err
	}
	d.splitDone = true
	return d.readyLocked()
}

func (d *document) readyLocked() bool {
	if d.handed || !d.splitDone || d.done < d.sent {
		return false
	}
	d.handed = true
	return true
}

// fail records the first error of the document.
func (d *document) fail(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
}

func (d *document) failed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

func (d *document) markLost() {
	d.mu.Lock()
	d.lost = true
	d.mu.Unlock()
}

func (d *document) isLost() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lost
}

// settle records that the queue knows the job's outcome.
func (d *document) settle() {
	d.mu.Lock()
	d.settled = true
	d.mu.Unlock()
}

func (d *document) isSettled() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settled
}
