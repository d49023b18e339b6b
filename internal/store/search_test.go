package store_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestLeadFilterSearch: the search box means one thing wherever it is, the
// API's q and the inbox's.
func TestLeadFilterSearch(t *testing.T) {
	normalize := intake.New("RU").NormalizePhone
	for _, c := range []struct {
		q                   string
		phone, digits, text string
	}{
		{q: ""},
		{q: "   "},
		{q: "+7 (999) 888-88-88", phone: "79998888888"},
		{q: "8 999 888 88 88", phone: "79998888888"},
		{q: "79998888888", phone: "79998888888"},
		{q: "888-88", digits: "88888"},
		{q: "(999) 88", digits: "99988"},
		{q: "123", digits: "123"},
		{q: "12", text: "12"},
		{q: "+7", text: "+7"},
		{q: "ivan@mail.ru", text: "ivan@mail.ru"},
		{q: "  Анна  ", text: "Анна"},
		{q: "Анна 89998888888", text: "Анна 89998888888"},
	} {
		var f store.LeadFilter
		f.Search(c.q, normalize)
		if f.Phone != c.phone || f.Digits != c.digits || f.Text != c.text {
			t.Errorf("%q: phone %q, digits %q, text %q; want %q, %q, %q", c.q, f.Phone, f.Digits, f.Text, c.phone, c.digits, c.text)
		}
	}
}

// TestParseLeadFilter reads the API's and the inbox's spellings of one
// filter to the same thing, and refuses what names no row or no date.
func TestParseLeadFilter(t *testing.T) {
	normalize := intake.New("RU").NormalizePhone
	api := store.FilterParams{Source: "sourceId", Stage: "funnelStageId", Owner: "userIdOwner",
		Duplicates: "duplicates", Limit: "limit", Cursor: "cursor", Zone: time.UTC}
	inbox := store.FilterParams{Source: "source", Stage: "stage", Owner: "owner",
		Duplicates: "dup", Cursor: "before", Zone: time.UTC}
	a, err := store.ParseLeadFilter(url.Values{"sourceId": {"1"}, "funnelStageId": {"2"}, "userIdOwner": {"3"},
		"from": {"2024-01-01"}, "to": {"2024-01-31"}, "duplicates": {"true"}, "q": {"888-88"}, "cursor": {"100"}}, api, normalize)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.ParseLeadFilter(url.Values{"source": {"1"}, "stage": {"2"}, "owner": {"3"},
		"from": {"2024-01-01"}, "to": {"2024-01-31"}, "dup": {"1"}, "q": {"888-88"}, "before": {"100"}, "limit": {"7"}}, inbox, normalize)
	if err != nil {
		t.Fatal(err)
	}
	if *a.SourceID != 1 || *a.StageID != 2 || *a.OwnerID != 3 || !a.DuplicatesOnly || a.Digits != "88888" ||
		a.Before != 100 || a.Limit != 50 || a.From != 1704067200 || a.To != 1706745600 {
		t.Fatalf("API filter %+v", a)
	}
	if *b.SourceID != *a.SourceID || *b.StageID != *a.StageID || *b.OwnerID != *a.OwnerID || b.From != a.From ||
		b.To != a.To || b.DuplicatesOnly != a.DuplicatesOnly || b.Digits != a.Digits || b.Before != a.Before || b.Limit != a.Limit {
		t.Fatalf("inbox filter %+v, want the API's %+v (the inbox's page size is not the request's)", b, a)
	}
	_, err = store.ParseLeadFilter(url.Values{"sourceId": {"x"}, "to": {"2024-02-30"}, "duplicates": {"yes"},
		"limit": {"0"}, "cursor": {"-1"}}, api, normalize)
	var e *lead.Error
	if !errors.As(err, &e) || e.Code != lead.EInvalid {
		t.Fatalf("err %v, want EInvalid", err)
	}
	for _, k := range []string{"sourceId", "to", "duplicates", "limit", "cursor"} {
		if !e.Has(k) {
			t.Errorf("no message for %s: %v", k, e)
		}
	}
}
