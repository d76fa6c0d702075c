package tesseract

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if err := ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func TestThreadLimited(t *testing.T) {
	if !ThreadLimited() {
		t.Fatalf("OMP_THREAD_LIMIT = %q after re-exec, want 1", os.Getenv("OMP_THREAD_LIMIT"))
	}
}
