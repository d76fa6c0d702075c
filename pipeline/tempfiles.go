package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// tempPattern names a temporary file of this process for os.CreateTemp:
// "<kind>-<pid>-<random><ext>". The pid lets a later run tell the files
// of a worker that was killed (kill -9, a power cut: no deferred cleanup
// ran) from those of one still working.
func tempPattern(kind, ext string) string {
	return fmt.Sprintf("%s-%d-*%s", kind, os.Getpid(), ext)
}

// sweepTemp removes from TempDir the temporary files of processes on this
// machine that no longer run: a copy of an original or an archive being
// built, left by a killed worker, would otherwise stay there for good.
// Files of live processes (and of this one) are left alone; a pid reused
// since only keeps a file until `sohoa doctor` removes it.
func (p *Pipeline) sweepTemp() {
	entries, err := os.ReadDir(p.cfg.TempDir)
	if err != nil {
		p.log.Warn("sweep temporary files", "dir", p.cfg.TempDir, "err", err)
		return
	}
	for _, e := range entries {
		pid, ok := tempOwner(e.Name())
		if !ok || !e.Type().IsRegular() || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // alive, or not ours to judge (EPERM: another user's)
		}
		path := filepath.Join(p.cfg.TempDir, e.Name())
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			p.log.Warn("remove temporary file of a stopped worker", "path", path, "err", err)
			continue
		}
		p.log.Info("removed temporary file of a stopped worker", "path", path, "pid", pid)
	}
}

// tempOwner reads the pid from a name made by tempPattern.
func tempOwner(name string) (int, bool) {
	for _, kind := range []string{"original-", "archive-"} {
		rest, ok := strings.CutPrefix(name, kind)
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(num)
		if !ok || err != nil || pid <= 0 {
			return 0, false
		}
		return pid, true
	}
	return 0, false
}
