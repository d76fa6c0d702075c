package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"sohoa/storage/catalog"
)

// BenchmarkAddRecord measures ingest: one record with its job and index
// entry per transaction.
func BenchmarkAddRecord(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	batch := mustBatch(b, db, "bench")
	r := fullRecord(batch.ID, "")
	i := 0
	for b.Loop() {
		r.Source = fmt.Sprintf("%08d.pdf", i)
		i++
		if _, err := db.AddRecord(ctx, r, true); err != nil {
			b.Fatal(err)
		}
	}
}

var benchWords = strings.Fields(`quyết định về việc giao đất cho hộ gia đình ông bà
	ủy ban nhân dân xã huyện tỉnh thông báo kế hoạch báo cáo tờ trình công văn
	chứng nhận quyền sử dụng nhà ở tài sản gắn liền với đất đai xây dựng giấy phép
	hộ tịch khai sinh kết hôn khai tử chứng thực bản sao hộ kinh doanh người có công
	cư trú điều khoản hiệu lực kể từ ngày ký thôn xóm tổ dân phố phê duyệt dự án
	bồi thường hỗ trợ tái định cư thu hồi chuyển mục đích cấp đổi cấp lại đính chính`)

func benchText(rng *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = benchWords[rng.IntN(len(benchWords))]
	}
	return strings.Join(ws, " ")
}

// BenchmarkSearch searches 10,000 records of two pages each. The pages are
// drawn from a small vocabulary, so common words match nearly every
// record: a worst case for ranking.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	batch := mustBatch(b, db, "bench")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 10_000 {
		r := catalog.Record{BatchID: batch.ID, Source: fmt.Sprintf("%05d.pdf", i), Status: catalog.StatusDigitized}
		r.Number.Value = fmt.Sprintf("%d/QĐ-UBND", i)
		r.Subject.Value = "Về việc " + benchText(rng, 10)
		if i%100 == 0 {
			r.Subject.Value = "Về việc cấp giấy chứng nhận quyền sử dụng đất"
		}
		r.Issuer.Value = "ỦY BAN NHÂN DÂN XÃ TỊNH KỲ"
		r.DocType.Value = "Quyết định"
		r = mustRecord(b, db, r, false)
		mustPage(b, db, r.ID, 1, benchText(rng, 250))
		mustPage(b, db, r.ID, 2, benchText(rng, 250))
	}
	for _, q := range []string{"giao đất", `"quyền sử dụng đất"`, "bồi thường tái*", "1234/QĐ-UBND"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				hits, err := db.Search(ctx, q, 20)
				if err != nil {
					b.Fatal(err)
				}
				if len(hits) == 0 {
					b.Fatalf("Search(%q) found nothing", q)
				}
			}
		})
	}
}
