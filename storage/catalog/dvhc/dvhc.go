// Package dvhc holds the real catalogues of Vietnam's administrative units
// (danh mục đơn vị hành chính) and reads them into catalog units: the
// 3-level catalogue in force until 30 June 2025 and the 2-level one in force
// from 1 July 2025, with the merge list that links them. The data are
// embedded, so `sohoa units import` needs no file at run time; data/README.md
// says where they come from.
package dvhc

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sohoa/storage/catalog"
)

//go:embed data/dvhc-2024.json.gz data/dvhc-2025.json.gz
var data embed.FS

// Days the two catalogues bound: the old one ends the day before the
// reorganisation took effect.
const (
	lastDay2024  = "2025-06-30"
	firstDay2025 = "2025-07-01"
)

// Catalogue is both schemes' units and the links between them.
type Catalogue struct {
	Units  []catalog.Unit
	Merges []catalog.Merge
}

// Load reads the embedded catalogues.
func Load() (Catalogue, error) {
	var c Catalogue
	old, err := read("data/dvhc-2024.json.gz")
	if err != nil {
		return c, err
	}
	var v2024 struct {
		Data []struct {
			ID        string `json:"level1_id"`
			Name      string `json:"name"`
			Type      string `json:"type"`
			Districts []struct {
				ID       string `json:"level2_id"`
				Name     string `json:"name"`
				Type     string `json:"type"`
				Communes []struct {
					ID   string `json:"level3_id"`
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"level3s"`
			} `json:"level2s"`
		} `json:"data"`
	}
	if err := json.Unmarshal(old, &v2024); err != nil {
		return c, fmt.Errorf("read %s: %w", catalog.Scheme2024, err)
	}
	for _, p := range v2024.Data {
		c.Units = append(c.Units, old2024(p.ID, p.Name, p.Type, catalog.LevelProvince, ""))
		for _, d := range p.Districts {
			c.Units = append(c.Units, old2024(d.ID, d.Name, d.Type, catalog.LevelDistrict, p.ID))
			for _, x := range d.Communes {
				c.Units = append(c.Units, old2024(x.ID, x.Name, x.Type, catalog.LevelCommune, d.ID))
			}
		}
	}

	cur, err := read("data/dvhc-2025.json.gz")
	if err != nil {
		return c, err
	}
	type merge struct {
		OldID string `json:"old_id"`
		Type  string `json:"type"`
	}
	var v2025 struct {
		Data []struct {
			ID       string  `json:"level1_id"`
			Name     string  `json:"name"`
			Merges   []merge `json:"merges"`
			Communes []struct {
				ID     string  `json:"level2_id"`
				Name   string  `json:"name"`
				Merges []merge `json:"merges"`
			} `json:"level2s"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cur, &v2025); err != nil {
		return c, fmt.Errorf("read %s: %w", catalog.Scheme2025, err)
	}
	links := func(code string, ms []merge) error {
		for _, m := range ms {
			if m.Type != "full" && m.Type != "partial" {
				return fmt.Errorf("read %s: unit %s merges %s as %q, want full or partial", catalog.Scheme2025, code, m.OldID, m.Type)
			}
			c.Merges = append(c.Merges, catalog.Merge{New: code, Old: m.OldID, Full: m.Type == "full"})
		}
		return nil
	}
	for _, p := range v2025.Data {
		c.Units = append(c.Units, new2025(p.ID, p.Name, catalog.LevelProvince, ""))
		if err := links(p.ID, p.Merges); err != nil {
			return c, err
		}
		for _, x := range p.Communes {
			c.Units = append(c.Units, new2025(x.ID, x.Name, catalog.LevelCommune, p.ID))
			if err := links(x.ID, x.Merges); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func old2024(code, name, typ string, level catalog.Level, parent string) catalog.Unit {
	return catalog.Unit{Scheme: catalog.Scheme2024, Code: code, Name: name, Type: typ, Level: level, Parent: parent, ValidTo: lastDay2024}
}

func new2025(code, name string, level catalog.Level, parent string) catalog.Unit {
	return catalog.Unit{Scheme: catalog.Scheme2025, Code: code, Name: name, Type: typeOf(name), Level: level, Parent: parent, ValidFrom: firstDay2025}
}

// typeOf reads a unit's type from its name: the 2025 catalogue gives
// "Xã Thọ Phong", not a type field.
func typeOf(name string) string {
	for _, t := range []string{"Thành phố", "Tỉnh", "Phường", "Đặc khu", "Xã"} {
		if strings.HasPrefix(name, t+" ") {
			return t
		}
	}
	return ""
}

func read(name string) ([]byte, error) {
	f, err := data.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open embedded %s: %w", name, err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("open embedded %s: %w", name, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("read embedded %s: %w", name, err)
	}
	return b, nil
}
