package main

import (
	"context"
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

// subcommand is one verb of a command with verbs ("units import").
type subcommand struct {
	name string
	run  func(ctx context.Context, e *env, args []string) error
}

// dispatch runs the verb args[0] names, or prints help (no verb, -h,
// --help) and returns nil, or refuses an unknown verb.
func dispatch(ctx context.Context, e *env, command, help string, args []string, verbs ...subcommand) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stdout, help)
		return nil
	}
	var names []string
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, e, args[1:])
		}
		names = append(names, v.name)
	}
	return usagef("không có lệnh %s %q (use %s)", command, args[0], strings.Join(names, " or "))
}
