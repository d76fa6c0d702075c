//go:build !linux

package s3test

import "os/exec"

// startProcess starts cmd. Outside Linux a test binary that dies without
// cleaning up leaves the server running.
func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}
