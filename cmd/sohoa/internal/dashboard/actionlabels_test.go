package dashboard

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sohoa/storage/catalog"
)

// eventSource is what writtenActions found in the module's code.
type eventSource struct {
	// actions are the action names written, each with where.
	actions map[string][]string
	// unknown are the places an event's action is neither a string, a
	// constant, nor passed on from an action parameter, another event
	// or a stored row: the scan cannot tell what they write.
	unknown []string
}

// writtenActions reads every Go file of the module but tests and finds
// the actions of the events the code writes: the Action of each
// catalog.Event literal, and the action argument of each call to a
// function whose parameter is named action (the pipeline's p.event,
// the doctor's d.event, logAccess, logSignIn…). Constants are followed
// to their values, within a package and across its imports.
func writtenActions(t *testing.T) eventSource {
	t.Helper()
	root, module := moduleRoot(t)
	fset := token.NewFileSet()
	type file struct {
		dir string
		ast *ast.File
		// imports are the folders of the module's packages the file
		// imports, by the name it uses.
		imports map[string]string
	}
	var files []file
	err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := de.Name()
		if de.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			if filepath.Dir(path) == root && (name == "out" || name == "demo-out" || name == "bin") {
				return filepath.SkipDir // what make builds and demos leave
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		fi := file{dir: filepath.Dir(path), ast: f, imports: map[string]string{}}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			local := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				local = im.Name.Name
			}
			fi.imports[local] = filepath.Join(root, strings.TrimPrefix(p, module))
		}
		files = append(files, fi)
		return nil
	})
	if err != nil {
		t.Fatalf("read the module's source: %v", err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d Go files under %s: is this the module?", len(files), root)
	}

	// String constants by package folder, and the functions taking an
	// action, by package folder and name: the index of the parameter.
	consts := map[string]map[string]string{}
	actionArg := map[string]map[string]int{}
	for _, f := range files {
		if consts[f.dir] == nil {
			consts[f.dir], actionArg[f.dir] = map[string]string{}, map[string]int{}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[f.dir][name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.FuncDecl:
				i := 0
				for _, p := range n.Type.Params.List {
					for _, name := range p.Names {
						if name.Name == "action" {
							actionArg[f.dir][n.Name.Name] = i
						}
						i++
					}
					if len(p.Names) == 0 {
						i++
					}
				}
			}
			return true
		})
	}

	src := eventSource{actions: map[string][]string{}}
	for _, f := range files {
		// value resolves an action expression: ok with the name, or ok
		// and "" when it passes on an action from elsewhere.
		value := func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					s, err := strconv.Unquote(e.Value)
					return s, err == nil
				}
			case *ast.Ident:
				if v, ok := consts[f.dir][e.Name]; ok {
					return v, true
				}
				return "", e.Name == "action" // the parameter: its callers are read
			case *ast.SelectorExpr:
				if x, ok := e.X.(*ast.Ident); ok {
					if dir, ok := f.imports[x.Name]; ok {
						v, ok := consts[dir][e.Sel.Name]
						return v, ok
					}
				}
				// Copied from another event, or from a row read back.
				return "", strings.EqualFold(e.Sel.Name, "action")
			}
			return "", false
		}
		add := func(e ast.Expr) {
			at := fset.Position(e.Pos())
			where := fmt.Sprintf("%s:%d", strings.TrimPrefix(at.Filename, root+string(filepath.Separator)), at.Line)
			switch v, ok := value(e); {
			case !ok:
				src.unknown = append(src.unknown, where)
			case v != "":
				src.actions[v] = append(src.actions[v], where)
			}
		}
		isEvent := func(e ast.Expr) bool {
			switch e := e.(type) {
			case *ast.SelectorExpr:
				x, ok := e.X.(*ast.Ident)
				return ok && e.Sel.Name == "Event" && f.imports[x.Name] == filepath.Join(root, "storage", "catalog")
			case *ast.Ident:
				return e.Name == "Event" && f.dir == filepath.Join(root, "storage", "catalog")
			}
			return false
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isEvent(n.Type) {
					return true
				}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						add(el) // unkeyed: no telling which is the action
						break
					}
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
						add(kv.Value)
					}
				}
			case *ast.CallExpr:
				dir, name := f.dir, ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if x, ok := fn.X.(*ast.Ident); ok {
						if d, ok := f.imports[x.Name]; ok {
							dir = d
						}
					}
				}
				if i, ok := actionArg[dir][name]; ok && i < len(n.Args) {
					add(n.Args[i])
				}
			}
			return true
		})
	}
	return src
}

// moduleRoot finds go.mod above the test's folder and returns its folder
// and the module's path.
func moduleRoot(t *testing.T) (string, string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
}

// TestEveryActionHasALabel: every action of an event written anywhere in
// the code has its label in the history, so a new action without one
// fails here, naming where it is written.
func TestEveryActionHasALabel(t *testing.T) {
	src := writtenActions(t)
	for _, where := range src.unknown {
		t.Errorf("%s: an event's action this test cannot read: write it as a string constant, or extend writtenActions", where)
	}
	// The scan itself: these are written, by the pipeline, the CLI, the
	// catalog, the review and upload pages, sign-in.
	for _, a := range []string{"ingest", "duplicate", "split", "archive", "verify", "export", "doctor_requeue", "user_add",
		"view", "download", "correct", "confirm", "pages", actionReviewView, actionDenied, "upload", actionLogin, actionLogout} {
		if len(src.actions[a]) == 0 {
			t.Errorf("the scan of the source did not find action %q, which the code writes: writtenActions misses events", a)
		}
	}
	for _, a := range slices.Sorted(maps.Keys(src.actions)) {
		label := actionLabels[a]
		if label == "" {
			t.Errorf("action %q (written at %s) has no label in actionLabels (record.go)", a, strings.Join(src.actions[a], ", "))
			continue
		}
		// Vietnamese first, English beside.
		if vi, en, ok := strings.Cut(label, " / "); !ok || vi == "" || en == "" {
			t.Errorf("action %q: label %q, want \"tiếng Việt / English\"", a, label)
		}
	}
}

// TestHistoryShowsLabels: the evidence view's history names the review's
// actions in words, not by their names.
func TestHistoryShowsLabels(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	for _, a := range []string{"confirm", "pages", actionReviewView, "correct"} {
		if err := e.db.AppendEvent(context.Background(), catalog.Event{Actor: "lan", Action: a, RecordID: e.done.ID, Details: `{}`}); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := request(t, fmt.Sprintf("%s/records/%d", e.srv.URL, e.done.ID), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("record page: %d", resp.StatusCode)
	}
	page := string(body)
	for _, a := range []string{"confirm", "pages", actionReviewView, "correct"} {
		if !strings.Contains(page, `<td class="action">`+actionLabels[a]+`</td>`) {
			t.Errorf("the history does not show %q as %q", a, actionLabels[a])
		}
		if strings.Contains(page, `<td class="action">`+a+`</td>`) {
			t.Errorf("the history shows the bare action %q", a)
		}
	}
}
