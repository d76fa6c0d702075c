package bagit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Invalid is the error Validate returns for a bag that is not valid: every
// problem found, one sentence each.
type Invalid struct {
	Problems []string
}

func (e *Invalid) Error() string {
	return fmt.Sprintf("bag is not valid (%d problems): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// algorithms are the manifest algorithms Validate can check (RFC 8493
// §2.4 names these four).
var algorithms = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New,
}

var (
	versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	hexRE     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	oxumRE    = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)
)

// Validate checks the bag whose base directory is the root of fsys as RFC
// 8493 §3 defines a valid bag: bagit.txt is exactly its two lines (§2.1.1:
// BagIt-Version M.N, then Tag-File-Character-Encoding, UTF-8 here, no
// byte order mark), data/ and at least one payload manifest are there,
// every payload file is listed in every payload manifest and every file a
// manifest lists exists (complete), every checksum in every manifest and
// tag manifest matches, paths decoded as §2.1.3 encodes them (%0A, %0D,
// %25), and Payload-Oxum, when given, counts the payload. A tag manifest
// must also list every other tag file (bagit.txt, bag-info.txt, the
// payload manifests…): the RFC says it SHOULD, and a tag file it leaves
// out could be changed unseen. It returns an *Invalid listing every
// problem, or another error when fsys cannot be read at all.
func Validate(ctx context.Context, fsys fs.FS) error {
	v := &validator{ctx: ctx, fsys: fsys}
	if err := v.run(); err != nil {
		return err
	}
	if len(v.problems) > 0 {
		return &Invalid{Problems: v.problems}
	}
	return nil
}

// ValidateZip validates a bag serialized as a zip file: the zip must hold
// exactly one top-level directory (RFC 8493 §4), the bag's base directory.
func ValidateZip(ctx context.Context, name string) error {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer zr.Close()
	tops := map[string]bool{}
	for _, f := range zr.File {
		top, _, nested := strings.Cut(f.Name, "/")
		if !nested || !fs.ValidPath(strings.TrimSuffix(f.Name, "/")) {
			return &Invalid{Problems: []string{fmt.Sprintf("zip entry %q is not inside one top-level directory", f.Name)}}
		}
		tops[top] = true
	}
	if len(tops) != 1 {
		return &Invalid{Problems: []string{fmt.Sprintf("zip holds %d top-level directories, want exactly 1", len(tops))}}
	}
	var root string
	for t := range tops {
		root = t
	}
	sub, err := fs.Sub(zr, root)
	if err != nil {
		return err
	}
	return Validate(ctx, sub)
}

type validator struct {
	ctx      context.Context
	fsys     fs.FS
	problems []string
}

func (v *validator) problem(format string, a ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, a...))
}

func (v *validator) run() error {
	decl, err := fs.ReadFile(v.fsys, "bagit.txt")
	if err != nil {
		v.problem("bagit.txt is missing: %v", err)
		return nil
	}
	v.checkDeclaration(decl)

	top, err := fs.ReadDir(v.fsys, ".")
	if err != nil {
		return fmt.Errorf("list the bag's base directory: %w", err)
	}
	var manifests, tagManifests []string
	hasData := false
	for _, d := range top {
		name := d.Name()
		switch {
		case name == "data" && d.IsDir():
			hasData = true
		case strings.HasPrefix(name, "manifest-") && strings.HasSuffix(name, ".txt"):
			manifests = append(manifests, name)
		case strings.HasPrefix(name, "tagmanifest-") && strings.HasSuffix(name, ".txt"):
			tagManifests = append(tagManifests, name)
		}
	}
	if !hasData {
		v.problem("the payload directory data/ is missing")
	}
	if len(manifests) == 0 {
		v.problem("there is no payload manifest (manifest-<algorithm>.txt)")
	}

	payload := map[string]int64{} // path → size
	if hasData {
		err := fs.WalkDir(v.fsys, "data", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			payload[p] = info.Size()
			return nil
		})
		if err != nil {
			return fmt.Errorf("walk data/: %w", err)
		}
	}

	for _, m := range manifests {
		listed := v.checkManifest(m, strings.TrimSuffix(strings.TrimPrefix(m, "manifest-"), ".txt"), true)
		for p := range payload {
			if !listed[p] {
				v.problem("%s is in data/ but not in %s", p, m)
			}
		}
	}
	var tagFiles []string
	if len(tagManifests) > 0 {
		err := fs.WalkDir(v.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case p == "data" && d.IsDir():
				return fs.SkipDir
			case !d.IsDir() && !strings.HasPrefix(p, "tagmanifest-"):
				tagFiles = append(tagFiles, p)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list the tag files: %w", err)
		}
	}
	for _, m := range tagManifests {
		listed := v.checkManifest(m, strings.TrimSuffix(strings.TrimPrefix(m, "tagmanifest-"), ".txt"), false)
		for _, p := range tagFiles {
			if !listed[p] {
				v.problem("tag file %s is not in %s", p, m)
			}
		}
	}
	v.checkOxum(payload)
	sort.Strings(v.problems)
	return v.ctx.Err()
}

// checkDeclaration checks bagit.txt as RFC 8493 §2.1.1 has it: no byte
// order mark, exactly two lines (each ended by LF, CR or CRLF), which are
// "BagIt-Version: M.N" and "Tag-File-Character-Encoding: UTF-8".
func (v *validator) checkDeclaration(b []byte) {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		v.problem("bagit.txt starts with a byte order mark, which RFC 8493 forbids")
		return
	}
	lines := strings.Split(strings.TrimSuffix(normalizeLines(string(b)), "\n"), "\n")
	if len(lines) != 2 {
		v.problem("bagit.txt has %d lines, want exactly 2: BagIt-Version: M.N, then Tag-File-Character-Encoding: UTF-8", len(lines))
		return
	}
	version, ok := strings.CutPrefix(lines[0], "BagIt-Version: ")
	if !ok || !versionRE.MatchString(version) {
		v.problem("bagit.txt line 1 is %q, want \"BagIt-Version: M.N\"", lines[0])
	}
	enc, ok := strings.CutPrefix(lines[1], "Tag-File-Character-Encoding: ")
	switch {
	case !ok:
		v.problem("bagit.txt line 2 is %q, want \"Tag-File-Character-Encoding: UTF-8\"", lines[1])
	case !strings.EqualFold(enc, "UTF-8"):
		v.problem("bagit.txt: Tag-File-Character-Encoding %q: only UTF-8 is supported", enc)
	}
}

// normalizeLines turns the line ends a tag file may have (CRLF, CR, LF)
// into LF. A CR or LF inside a path is percent-encoded, so a bare one
// always ends a line.
func normalizeLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// checkManifest verifies every line of a manifest and returns the paths it
// lists. Payload manifests list only files under data/, tag manifests
// only files outside it.
func (v *validator) checkManifest(name, alg string, payload bool) map[string]bool {
	listed := map[string]bool{}
	newHash, ok := algorithms[alg]
	if !ok {
		v.problem("%s: unsupported algorithm %q", name, alg)
		return listed
	}
	b, err := fs.ReadFile(v.fsys, name)
	if err != nil {
		v.problem("%s: %v", name, err)
		return listed
	}
	sc := bufio.NewScanner(strings.NewReader(normalizeLines(string(b))))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		// "checksum, one or more linear whitespace, path" (§2.1.3).
		sum, rest := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			sum, rest = line[:i], line[i:]
		}
		p := decodePath(strings.TrimLeft(rest, " \t"))
		if p == "" || !hexRE.MatchString(sum) {
			v.problem("%s line %d: want \"checksum  path\", got %q", name, n, line)
			continue
		}
		if !fs.ValidPath(p) {
			v.problem("%s line %d: path %q is not a clean relative path inside the bag", name, n, p)
			continue
		}
		if inData := strings.HasPrefix(p, "data/"); inData != payload {
			where := map[bool]string{true: "a payload manifest lists only files under data/", false: "a tag manifest must not list payload files"}[payload]
			v.problem("%s line %d: %s: %q", name, n, where, p)
			continue
		}
		if listed[p] {
			v.problem("%s lists %s twice", name, p)
			continue
		}
		listed[p] = true
		got, err := hashFile(v.ctx, v.fsys, p, newHash())
		if err != nil {
			v.problem("%s lists %s, which cannot be read: %v", name, p, err)
			continue
		}
		if !strings.EqualFold(got, sum) {
			v.problem("%s: %s has %s %s, the manifest says %s", name, p, alg, got, sum)
		}
	}
	if err := sc.Err(); err != nil {
		v.problem("%s: %v", name, err)
	}
	return listed
}

// checkOxum compares bag-info.txt's Payload-Oxum, if any, to the payload.
func (v *validator) checkOxum(payload map[string]int64) {
	b, err := fs.ReadFile(v.fsys, "bag-info.txt")
	if err != nil {
		return // bag-info.txt is optional
	}
	tags, err := parseTags(b)
	if err != nil {
		v.problem("bag-info.txt: %v", err)
		return
	}
	for _, t := range tags {
		if t.Label != "Payload-Oxum" {
			continue
		}
		m := oxumRE.FindStringSubmatch(t.Value)
		var o int64
		var c int
		var err1, err2 error
		if m != nil {
			o, err1 = strconv.ParseInt(m[1], 10, 64)
			c, err2 = strconv.Atoi(m[2])
		}
		if m == nil || err1 != nil || err2 != nil {
			v.problem("bag-info.txt: Payload-Oxum %q is not OCTETS.COUNT", t.Value)
			return
		}
		var total int64
		for _, s := range payload {
			total += s
		}
		if o != total || c != len(payload) {
			v.problem("Payload-Oxum says %d bytes in %d files, data/ holds %d bytes in %d files", o, c, total, len(payload))
		}
	}
}

func hashFile(ctx context.Context, fsys fs.FS, name string, h hash.Hash) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parseTags reads a tag file: "Label: Value" lines, a line starting with
// white space continuing the value before it (RFC 8493 §2.2.2).
func parseTags(b []byte) ([]Tag, error) {
	var tags []Tag
	for n, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(tags) == 0 {
				return nil, fmt.Errorf("line %d continues no tag", n+1)
			}
			tags[len(tags)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok || label == "" || strings.TrimSpace(label) != label {
			return nil, fmt.Errorf("line %d is not \"Label: Value\": %q", n+1, line)
		}
		tags = append(tags, Tag{label, strings.TrimSpace(value)})
	}
	return tags, nil
}

// Tags reads the tags of a tag file such as bag-info.txt.
func Tags(r io.Reader) ([]Tag, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parseTags(b)
}
