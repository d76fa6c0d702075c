package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"sohoa/ocr/tesseract"
)

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "In phiên bản của sohoa và Tesseract. Print the versions of sohoa and Tesseract.")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	v := sohoaRevision()
	fmt.Fprintf(e.stdout, "sohoa %s (%s, %s/%s)\ntesseract %s, OMP_THREAD_LIMIT=%v\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		tesseract.Version(), tesseract.ThreadLimited())
	return nil
}

// sohoaRevision is the commit the binary was built from, or "(devel)".
func sohoaRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "(devel)"
}
