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
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = s.Value[:12]
			}
		}
	}
	fmt.Fprintf(e.stdout, "sohoa %s (%s, %s/%s)\ntesseract %s, OMP_THREAD_LIMIT=%v\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		tesseract.Version(), tesseract.ThreadLimited())
	return nil
}
