package s3test

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startProcess starts cmd so that the kernel kills it if the test binary
// dies without cleaning up (a panic, a timeout, ^C). The parent-death
// signal follows the OS thread that started the child, so that thread stays
// locked to the goroutine waiting for the child, and only ends with it.
func startProcess(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}
