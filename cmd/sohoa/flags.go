package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags makes a flag set whose --help prints the summary, the usage
// line and the flags, in the clerk's language first.
func newFlags(e *env, name, usageLine, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Cách dùng / usage: sohoa %s %s\n\n%s\n\nTùy chọn / flags:\n", name, usageLine, strings.TrimSpace(about))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments ("sohoa ingest scans/ --unit 21199" works), and
// returns the positional arguments in order. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err // fs.Parse has already printed fs.Usage
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
