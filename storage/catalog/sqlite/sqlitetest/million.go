package sqlitetest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Million is what every million-record benchmark of issue #3 seeds: the
// real units, a 2024 inventory for each of the 10,047 communes, and
// 1,000,000 records digitized from 2021 on.
var Million = Progress{Records: 1_000_000, FirstYear: 2021, Year: 2024, Seed: 1}

// SeedMillion seeds the catalog file at path with Million, failing b when
// it cannot, and prints what it seeded and how long that took.
func SeedMillion(b testing.TB, path string) Seeded {
	b.Helper()
	seeded, err := SeedProgress(context.Background(), path, Million)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("seeded %s records over %s communes (%s digitized) in %s\n",
		Thousands(seeded.Records), Thousands(seeded.Communes), Thousands(seeded.Digitized), seeded.Took.Round(time.Millisecond))
	return seeded
}

// Thousands writes n with a comma between thousands: 1,000,000.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
