package hook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
)

// BenchmarkWebhook measures the whole webhook path — decode, duplicate
// lookup, durable insert, answer — on each engine, with parallel senders.
func BenchmarkWebhook(b *testing.B) {
	storetest.ForEachEngine(b, func(b *testing.B, engine string) {
		s := storetest.Open(b, engine)
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		src, err := s.CreateSource(ctx, lead.Source{AccountID: acc.ID, Name: "bench", Type: lead.SourceWebhook})
		if err != nil {
			b.Fatal(err)
		}
		h := web.NewServer(web.Config{Store: s, Decoder: intake.New("RU")})
		var n atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				body := fmt.Sprintf(`{"name":"Иван","phone":"+7 (999) %03d-%02d-%02d","email":"i%d@example.ru",`+
					`"utmSource":"yandex","utmMedium":"cpc","utmCampaign":"spring","referrer":"https://example.ru/"}`,
					i%1000, i/1000%100, i/100000%100, i%5000)
				req := httptest.NewRequest(http.MethodPost, "/hooks/"+src.Token, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	})
}
