package dvhc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sohoa/storage/catalog"
)

func TestLoadCountsTheRealCatalogues(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	count := map[catalog.Scheme]map[catalog.Level]int{}
	seen := map[catalog.Scheme]map[string]bool{}
	for _, u := range c.Units {
		if count[u.Scheme] == nil {
			count[u.Scheme], seen[u.Scheme] = map[catalog.Level]int{}, map[string]bool{}
		}
		count[u.Scheme][u.Level]++
		if seen[u.Scheme][u.Code] {
			t.Errorf("%s has code %s twice", u.Scheme, u.Code)
		}
		seen[u.Scheme][u.Code] = true
		if u.Type == "" || u.Name == "" {
			t.Errorf("%s %s has no name or type: %+v", u.Scheme, u.Code, u)
		}
	}
	// The figures data/README.md gives (QĐ 124/2004 and QĐ 19/2025).
	want := map[catalog.Scheme]map[catalog.Level]int{
		catalog.Scheme2024: {catalog.LevelProvince: 63, catalog.LevelDistrict: 696, catalog.LevelCommune: 10047},
		catalog.Scheme2025: {catalog.LevelProvince: 34, catalog.LevelCommune: 3321},
	}
	for s, levels := range want {
		for l, n := range levels {
			if count[s][l] != n {
				t.Errorf("%s has %d %s units, want %d", s, count[s][l], l, n)
			}
		}
	}
	for _, u := range c.Units {
		if u.Parent != "" && !seen[u.Scheme][u.Parent] {
			t.Errorf("%s %s has parent %s, not in the catalogue", u.Scheme, u.Code, u.Parent)
		}
	}
	partial := 0
	for _, m := range c.Merges {
		if !seen[catalog.Scheme2025][m.New] || !seen[catalog.Scheme2024][m.Old] {
			t.Errorf("merge %s ← %s links a unit that is not in its catalogue", m.New, m.Old)
		}
		if !m.Full {
			partial++
		}
	}
	if partial != 1012 {
		t.Errorf("%d partial links, want 1012", partial)
	}
}

func TestSameCodeIsTwoUnits(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	names := map[catalog.Scheme]string{}
	for _, u := range c.Units {
		if u.Code == "21181" {
			names[u.Scheme] = u.Name
		}
	}
	if names[catalog.Scheme2024] != "Xã Tịnh Phong" || names[catalog.Scheme2025] != "Xã Thọ Phong" {
		t.Errorf("21181 is %q before and %q after the reorganisation", names[catalog.Scheme2024], names[catalog.Scheme2025])
	}
}

// TestEmbeddedMatchesShared checks the embedded copies against the
// catalogues in ../shared/data, the project's source of truth.
func TestEmbeddedMatchesShared(t *testing.T) {
	for _, name := range []string{"dvhc-2024.json", "dvhc-2025.json"} {
		shared, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "data", name))
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("../shared/data/%s: %v", name, err)
			}
			t.Skipf("../shared/data not here: %v", err)
		}
		got, err := read("data/" + name + ".gz")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, shared) {
			t.Errorf("embedded %s differs from ../shared/data/%s: copy it again (gzip -9 -n)", name, name)
		}
	}
}
