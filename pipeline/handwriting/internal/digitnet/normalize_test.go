package digitnet

import "testing"

// mask draws rows of '#' (ink) and '.' (paper).
func mask(rows ...string) Mask {
	m := NewMask(len(rows[0]), len(rows))
	for y, r := range rows {
		for x, c := range r {
			m.Pix[y*m.W+x] = c == '#'
		}
	}
	return m
}

func TestHoles(t *testing.T) {
	eight := mask(
		"..###..",
		".#...#.",
		"..###..",
		".#...#.",
		"#.....#",
		".#...#.",
		"..###..",
	)
	for _, tc := range []struct {
		name string
		m    Mask
		min  int
		want int
	}{
		{"eight", eight, 1, 2},
		{"eight, the small loop a pinhole", eight, 4, 1},
		{"zero", mask(
			".###.",
			"#...#",
			"#...#",
			".###.",
		), 1, 1},
		{"six, open at the top", mask(
			"..##.",
			".#...",
			"####.",
			"#...#",
			".###.",
		), 1, 1},
		{"one", mask(
			"..#",
			".##",
			"..#",
			"..#",
		), 1, 0},
		{"a loop open at its edge is no loop", mask(
			"###.",
			"#...",
			"####",
		), 1, 0},
		{"paper closed in only diagonally is closed in", mask(
			".#.",
			"#.#",
			".#.",
		), 1, 1},
	} {
		if got := tc.m.Holes(tc.min); got != tc.want {
			t.Errorf("%s: %d holes, want %d", tc.name, got, tc.want)
		}
	}
}
