package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// fixture is an account with a webhook source, on one engine.
type fixture struct {
	s   *store.Store
	acc lead.Account
	src lead.Source
}

func newFixture(t *testing.T, engine string) fixture {
	t.Helper()
	ctx := context.Background()
	s := storetest.Open(t, engine)
	acc, err := s.CreateAccount(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.CreateSource(ctx, lead.Source{AccountID: acc.ID, Name: "Site", Type: lead.SourceWebhook})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{s: s, acc: acc, src: src}
}

func render(l *lead.Lead) ([]byte, error) { return json.Marshal(map[string]any{"data": l}) }

func (f fixture) intake(phone, email string) store.Intake {
	in := store.Intake{Source: f.src, Render: render, Delivery: lead.Delivery{Method: "POST", Body: []byte(`{}`)}}
	if phone != "" {
		in.Input.Phone = ptr(phone)
	}
	if email != "" {
		in.Input.Email = ptr(email)
		in.EmailKey = ptr(email)
	}
	return in
}

func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range storetest.Engines() {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

func TestCreateLeadDuplicates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		a, err := f.s.CreateLead(ctx, f.intake("79998888888", ""))
		if err != nil {
			t.Fatal(err)
		}
		if a.Lead.FirstID != nil || a.Lead.OtherCount != 0 || a.Status != 201 {
			t.Fatalf("first lead: firstId=%v otherCount=%d", a.Lead.FirstID, a.Lead.OtherCount)
		}
		b, err := f.s.CreateLead(ctx, f.intake("", "a@b.ru"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateLead(ctx, f.intake("79998888888", "a@b.ru"))
		if err != nil {
			t.Fatal(err)
		}
		if b.Lead.FirstID != nil || c.Lead.FirstID == nil || *c.Lead.FirstID != a.Lead.ID || c.Lead.OtherCount != 2 {
			t.Fatalf("third lead: firstId=%v otherCount=%d", c.Lead.FirstID, c.Lead.OtherCount)
		}
		if *c.Lead.SourceID != f.src.ID {
			t.Fatalf("sourceId = %d, want the webhook's own %d", *c.Lead.SourceID, f.src.ID)
		}
		got, err := f.s.GetLead(ctx, f.acc.ID, c.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.OtherCount != 2 || *got.FirstID != a.Lead.ID || *got.Phone != "79998888888" {
			t.Fatalf("stored lead differs: %+v", got)
		}
	})
}
