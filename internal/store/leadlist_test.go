package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

var inboxStart = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// hour returns inboxStart plus h hours, in unix seconds.
func hour(h int) int64 { return inboxStart.Add(time.Duration(h) * time.Hour).Unix() }

func TestListLeadsFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		o := f.other(t)
		a, b := f.refs(t, "a"), f.refs(t, "b")
		manual := f.source(t, lead.Source{Name: "Manual", Type: lead.SourceManual})
		theirs := o.refs(t, "theirs")

		// at creates a lead through AddLead with the clock at inboxStart + h.
		at := func(f fixture, h int, name string, in lead.Input) lead.Lead {
			t.Helper()
			setClock(f.s, time.Unix(hour(h), 0))
			in.Name = ptr(name)
			return f.add(t, in)
		}
		with := func(in lead.Input, src *lead.Source, r *refs, owner *lead.User) lead.Input {
			if src != nil {
				in.SourceID = &src.ID
			}
			if r != nil {
				in.FunnelStageID = &r.stage.ID
			}
			if owner != nil {
				in.UserIDOwner = &owner.ID
			}
			return in
		}
		ivan := at(f, 0, "Иван Петров", with(contact("79990000001", "Ivan@Example.com"), &f.src, &a, &a.owner))
		maria := at(f, 1, "Мария", with(contact("79990000002", "maria@mail.ru"), &manual, &b, &b.owner))
		smith := at(f, 2, "ivan_smith", with(contact("79990000001", ""), &f.src, &b, &a.owner))         // ivan's duplicate
		real := at(f, 3, "100% Real", with(contact("", "percent@x.io"), &manual, &a, nil))              // no phone
		john := at(f, 4, "John", with(contact("78880001234", "MARIA@mail.ru"), &manual, nil, &b.owner)) // maria's duplicate
		gone := at(f, 5, "Иван Удалённый", with(contact("79990000001", "ivan@example.com"), &f.src, &a, &a.owner))
		if err := f.s.DeleteLead(context.Background(), f.acc.ID, nil, gone.ID); err != nil {
			t.Fatal(err)
		}
		at(o, 6, "Иван Чужой", with(contact("79990000001", "ivan@example.com"), &o.src, &theirs, &theirs.owner))

		all := idsOf(john, real, smith, maria, ivan)
		cases := []struct {
			name   string
			filter store.LeadFilter
			want   []lead.Lead
		}{
			{"no filter: every live lead of the account, newest first", store.LeadFilter{}, []lead.Lead{john, real, smith, maria, ivan}},
			{"source", store.LeadFilter{SourceID: &f.src.ID}, []lead.Lead{smith, ivan}},
			{"other source", store.LeadFilter{SourceID: &manual.ID}, []lead.Lead{john, real, maria}},
			{"another account's source", store.LeadFilter{SourceID: &o.src.ID}, nil},
			{"stage", store.LeadFilter{StageID: &a.stage.ID}, []lead.Lead{real, ivan}},
			{"another account's stage", store.LeadFilter{StageID: &theirs.stage.ID}, nil},
			{"owner", store.LeadFilter{OwnerID: &a.owner.ID}, []lead.Lead{smith, ivan}},
			{"other owner", store.LeadFilter{OwnerID: &b.owner.ID}, []lead.Lead{john, maria}},
			{"from is inclusive", store.LeadFilter{From: hour(1)}, []lead.Lead{john, real, smith, maria}},
			{"to is exclusive", store.LeadFilter{To: hour(1)}, []lead.Lead{ivan}},
			{"from and to", store.LeadFilter{From: hour(1), To: hour(3)}, []lead.Lead{smith, maria}},
			{"empty time range", store.LeadFilter{From: hour(3), To: hour(3)}, nil},
			{"duplicates only", store.LeadFilter{DuplicatesOnly: true}, []lead.Lead{john, smith}},
			{"phone, exact", store.LeadFilter{Phone: "79990000001"}, []lead.Lead{smith, ivan}},
			{"phone, a part is not enough", store.LeadFilter{Phone: "7999000000"}, nil},
			{"digits, a part of a phone", store.LeadFilter{Digits: "9990000"}, []lead.Lead{smith, maria, ivan}},
			{"digits, the end of a phone", store.LeadFilter{Digits: "1234"}, []lead.Lead{john}},
			{"digits, % is literal", store.LeadFilter{Digits: "%"}, nil},
			{"digits, _ is literal", store.LeadFilter{Digits: "7999_"}, nil},
			{"text, Cyrillic name in lower case", store.LeadFilter{Text: "иван"}, []lead.Lead{ivan}},
			{"text, Cyrillic name in capitals", store.LeadFilter{Text: "ИВАН ПЕТ"}, []lead.Lead{ivan}},
			{"text, Cyrillic in the middle of a name", store.LeadFilter{Text: "арИ"}, []lead.Lead{maria}},
			{"text, name or email", store.LeadFilter{Text: "ivan"}, []lead.Lead{smith, ivan}},
			{"text, email part in any case", store.LeadFilter{Text: "EXAMPLE.COM"}, []lead.Lead{ivan}},
			{"text, email of an upper-case address", store.LeadFilter{Text: "maria@"}, []lead.Lead{john, maria}},
			{"text, % is literal", store.LeadFilter{Text: "%"}, []lead.Lead{real}},
			{"text, 100% is literal", store.LeadFilter{Text: "100%"}, []lead.Lead{real}},
			{"text, _ is literal", store.LeadFilter{Text: "_"}, []lead.Lead{smith}},
			{"text, n_s is literal", store.LeadFilter{Text: "n_s"}, []lead.Lead{smith}},
			{"text, a backslash is literal", store.LeadFilter{Text: `\`}, nil},
			{"text, nothing matches", store.LeadFilter{Text: "zzz"}, nil},
			{"source, owner and duplicates only", store.LeadFilter{SourceID: &f.src.ID, OwnerID: &a.owner.ID, DuplicatesOnly: true}, []lead.Lead{smith}},
			{"text, source and phone", store.LeadFilter{Text: "ivan", SourceID: &f.src.ID, Phone: "79990000001"}, []lead.Lead{smith, ivan}},
			{"stage and from", store.LeadFilter{StageID: &b.stage.ID, From: hour(2)}, []lead.Lead{smith}},
			{"owner and Cyrillic text", store.LeadFilter{OwnerID: &b.owner.ID, Text: "мари"}, []lead.Lead{maria}},
			{"digits and to", store.LeadFilter{Digits: "0000", To: hour(2)}, []lead.Lead{maria, ivan}},
			{"stage and owner that never meet", store.LeadFilter{StageID: &b.stage.ID, OwnerID: &b.owner.ID, SourceID: &f.src.ID}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := f.list(t, tc.filter)
				if got == nil {
					t.Fatal("ListLeads returned nil, want an empty slice")
				}
				sameIDs(t, "ListLeads", got, idsOf(tc.want...))
				for _, l := range got {
					if l.AccountID != f.acc.ID || !slices.Contains(all, l.ID) {
						t.Fatalf("lead %d of account %d listed", l.ID, l.AccountID)
					}
				}
			})
		}
		t.Run("the other account sees only its own lead", func(t *testing.T) {
			got := o.list(t, store.LeadFilter{Text: "иван"})
			if len(got) != 1 || got[0].AccountID != o.acc.ID {
				t.Fatalf("other account's ListLeads = %v", leadIDs(got))
			}
		})
		t.Run("listed leads are whole", func(t *testing.T) {
			got := f.list(t, store.LeadFilter{Phone: "78880001234"})
			want := f.get(t, john.ID)
			if !reflect.DeepEqual(got[0], want) {
				t.Fatalf("listed lead\n%+v\ndiffers from GetLead\n%+v", got[0], want)
			}
		})
	})
}

// manyLeads inserts n bare leads into f's account in one statement.
func manyLeads(t *testing.T, f fixture, n int) {
	t.Helper()
	exec(t, f.s, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $2)
		INSERT INTO leads (account_id, other_count, dt_create, dt_update) SELECT $1, 0, i, i FROM seq`, f.acc.ID, n)
}

func TestListLeadsLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		manyLeads(t, f, store.MaxPage+20)
		cases := []struct {
			limit, want int
		}{
			{0, 50}, {-1, 50}, {1, 1}, {7, 7}, {store.MaxPage, store.MaxPage},
			{store.MaxPage + 1, store.MaxPage}, {100000, store.MaxPage},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("limit %d gives %d", tc.limit, tc.want), func(t *testing.T) {
				got := f.list(t, store.LeadFilter{Limit: tc.limit})
				if len(got) != tc.want {
					t.Fatalf("got %d leads, want %d", len(got), tc.want)
				}
				if !slices.IsSortedFunc(got, func(x, y lead.Lead) int { return int(y.ID - x.ID) }) {
					t.Fatal("page is not newest first")
				}
			})
		}
	})
}

func TestListLeadsPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		o := f.other(t)
		var want []int64
		for i := range 11 {
			l := f.add(t, contact(fmt.Sprintf("7999100%04d", i), ""))
			o.add(t, contact(fmt.Sprintf("7999100%04d", i), "")) // interleaved ids
			want = append([]int64{l.ID}, want...)
		}
		// walk reads every page of f's leads, calling between after each one.
		walk := func(t *testing.T, lf store.LeadFilter, between func()) []int64 {
			t.Helper()
			var seen []int64
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				page := f.list(t, lf)
				if len(page) > lf.Limit {
					t.Fatalf("page of %d leads, limit %d", len(page), lf.Limit)
				}
				if len(page) == 0 {
					return seen
				}
				seen = append(seen, leadIDs(page)...)
				lf.Before = page[len(page)-1].ID
				between()
			}
		}
		for _, limit := range []int{1, 3, 4, 11, 50} {
			t.Run(fmt.Sprintf("pages of %d give every lead once", limit), func(t *testing.T) {
				got := walk(t, store.LeadFilter{Limit: limit}, func() {})
				if !slices.Equal(got, want) {
					t.Fatalf("walked %v, want %v", got, want)
				}
			})
		}
		t.Run("pages stay put while new leads arrive", func(t *testing.T) {
			var added []int64
			got := walk(t, store.LeadFilter{Limit: 3}, func() {
				added = append(added, f.add(t, contact("79995550000", "")).ID)
			})
			if !slices.Equal(got, want) {
				t.Fatalf("walked %v, want %v (new leads %v must not shift the pages)", got, want, added)
			}
			first := f.list(t, store.LeadFilter{Limit: 3})
			slices.Reverse(added)
			if !slices.Equal(leadIDs(first), added[:3]) {
				t.Fatalf("a fresh first page = %v, want the newest arrivals %v", leadIDs(first), added[:3])
			}
		})
		t.Run("paging a filter", func(t *testing.T) {
			got := walk(t, store.LeadFilter{Limit: 2, Digits: "1000"}, func() {})
			if !slices.Equal(got, want) {
				t.Fatalf("walked %v, want %v", got, want)
			}
		})
		t.Run("cursor below every id gives an empty page", func(t *testing.T) {
			if got := f.list(t, store.LeadFilter{Before: want[len(want)-1]}); len(got) != 0 {
				t.Fatalf("got %v", leadIDs(got))
			}
		})
	})
}

func TestRelatedLeads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		base := f.add(t, contact("79992000001", "Pat@Example.com"))
		samePhone := f.add(t, contact("79992000001", ""))
		sameEmail := f.add(t, contact("", "pat@example.COM"))
		both := f.add(t, contact("79992000001", "PAT@example.com"))
		f.add(t, contact("79992000002", "other@example.com")) // unrelated
		gone := f.add(t, contact("79992000001", "pat@example.com"))
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, gone.ID); err != nil {
			t.Fatal(err)
		}
		o.add(t, contact("79992000001", "pat@example.com"))
		noContacts := lead.Lead{ID: base.ID, AccountID: f.acc.ID}
		spaced := f.add(t, contact("", " Pat@Example.com\t")) // the duplicate lookup trims an email
		if show(spaced.FirstID) != show(&base.ID) {
			t.Fatalf("a spaced email's firstId = %s, want %d", show(spaced.FirstID), base.ID)
		}

		cases := []struct {
			name  string
			of    lead.Lead
			limit int
			want  []int64
		}{
			{"same phone or email, newest first, not itself", base, 10, idsOf(spaced, both, sameEmail, samePhone)},
			{"by phone only", samePhone, 10, idsOf(both, base)},
			{"by email only, in any case", sameEmail, 10, idsOf(spaced, both, base)},
			{"by an email with spaces around it", spaced, 10, idsOf(both, sameEmail, base)},
			{"limit", base, 2, idsOf(spaced, both)},
			{"no contacts, nothing related", noContacts, 10, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := f.s.RelatedLeads(ctx, tc.of, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if got == nil {
					t.Fatal("RelatedLeads returned nil, want an empty slice")
				}
				sameIDs(t, "RelatedLeads", got, tc.want)
			})
		}
	})
}
