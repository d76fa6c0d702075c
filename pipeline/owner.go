package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ownerID names this process as a job owner: host, pid and a random tag
// (pids are reused; the tag keeps two lives of one pid apart).
func ownerID() string {
	host, _ := os.Hostname()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(tag[:]))
}

// ownerDead reports whether owner is a process on this host that no longer
// runs (self is this process's own owner ID). Owners on other hosts are
// never judged dead here: their leases expire instead.
func ownerDead(owner, self string) bool {
	if owner == self {
		return false
	}
	parts := strings.Split(owner, ":")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true // an earlier life of our pid
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// OwnerStopped reports whether a job owner (a Job.Owner) is a process on
// this host that no longer runs: its jobs are stuck until their leases run
// out, or until a worker starts here and takes them back. Owners on other
// hosts are never judged stopped.
func OwnerStopped(owner string) bool { return ownerDead(owner, "") }
