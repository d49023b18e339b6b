package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
)

// clientIDs returns the ids of cs in order.
func clientIDs(cs []lead.Client) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// client creates a client of f's account or fails the test.
func (f fixture) client(t *testing.T, name, phone, email string) lead.Client {
	t.Helper()
	c := lead.Client{AccountID: f.acc.ID, Name: name}
	if phone != "" {
		c.Phone = &phone
	}
	if email != "" {
		c.Email = &email
	}
	c, err := f.s.CreateClient(context.Background(), c)
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

func TestClients(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		clock := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		names := []struct {
			name, input, want string // want "" when refused
		}{
			{"plain", "ООО Ромашка", "ООО Ромашка"},
			{"trimmed", "  Acme Ltd\t", "Acme Ltd"},
			{"255 letters", strings.Repeat("я", 255), strings.Repeat("я", 255)},
			{"empty", "", ""},
			{"blank", " \t", ""},
			{"256 letters", strings.Repeat("я", 256), ""},
		}
		for _, tc := range names {
			t.Run("create, name "+tc.name, func(t *testing.T) {
				c, err := f.s.CreateClient(ctx, lead.Client{AccountID: f.acc.ID, Name: tc.input, Phone: ptr("70000000000")})
				if tc.want == "" {
					wantCode(t, err, lead.EInvalid, "name")
					return
				}
				if err != nil || c.ID == 0 || c.Name != tc.want || c.Created != clock.Unix() || *c.Phone != "70000000000" {
					t.Fatalf("CreateClient = %+v, %v", c, err)
				}
				got, err := f.s.GetClient(ctx, f.acc.ID, c.ID)
				if err != nil || fmt.Sprint(got.ID, got.Name, *got.Phone, got.Email, got.Created) != fmt.Sprint(c.ID, c.Name, *c.Phone, c.Email, c.Created) {
					t.Fatalf("GetClient = %+v, %v; want %+v", got, err, c)
				}
			})
		}

		ivan := f.client(t, "Иван Петров", "79995000001", "Ivan@Example.com")
		maria := f.client(t, "Maria", "79995000002", "")
		f.client(t, "Someone", "79885000001", "")
		pct := f.client(t, "100% Clean_Co", "", "sales@clean.io")
		theirs := o.client(t, "Иван Чужой", "79995000001", "ivan@example.com")

		t.Run("another account's client is ENotFound", func(t *testing.T) {
			_, err := f.s.GetClient(ctx, f.acc.ID, theirs.ID)
			wantCode(t, err, lead.ENotFound)
			_, err = f.s.UpdateClient(ctx, lead.Client{ID: theirs.ID, AccountID: f.acc.ID, Name: "Mine now"})
			wantCode(t, err, lead.ENotFound)
			wantCode(t, f.s.DeleteClient(ctx, f.acc.ID, nil, theirs.ID), lead.ENotFound)
			if got, err := o.s.GetClient(ctx, o.acc.ID, theirs.ID); err != nil || got.Name != "Иван Чужой" {
				t.Fatalf("their client = %+v, %v", got, err)
			}
		})

		search := []struct {
			name string
			q    string
			want []lead.Client
		}{
			{"name, any case", "MARIA", []lead.Client{maria}},
			{"name, Cyrillic in another case", "ИВАН", []lead.Client{ivan}},
			{"name, Cyrillic lower case", "иван петров", []lead.Client{ivan}},
			{"phone part", "9500000", []lead.Client{maria, ivan}},
			{"phone end", "000002", []lead.Client{maria}},
			{"email part, any case", "EXAMPLE.com", []lead.Client{ivan}},
			{"% is literal", "%", []lead.Client{pct}},
			{"_ is literal", "n_C", []lead.Client{pct}},
			{"trimmed", "  clean.io ", []lead.Client{pct}},
			{"nothing", "zzz", nil},
		}
		for _, tc := range search {
			t.Run("list, q "+tc.name, func(t *testing.T) {
				got, err := f.s.ListClients(ctx, f.acc.ID, tc.q, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				for _, c := range tc.want {
					want = append(want, c.ID)
				}
				if !slices.Equal(clientIDs(got), want) {
					t.Fatalf("ListClients(%q) = %v, want %v", tc.q, clientIDs(got), want)
				}
			})
		}

		t.Run("list pages newest first, one account only", func(t *testing.T) {
			all, err := f.s.ListClients(ctx, f.acc.ID, "", 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) < 6 || !slices.IsSortedFunc(all, func(a, b lead.Client) int { return int(b.ID - a.ID) }) {
				t.Fatalf("ListClients = %v", clientIDs(all))
			}
			var walked []int64
			for before := int64(0); ; {
				page, err := f.s.ListClients(ctx, f.acc.ID, "", before, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				if len(page) > 2 {
					t.Fatalf("page of %d, limit 2", len(page))
				}
				walked = append(walked, clientIDs(page)...)
				before = page[len(page)-1].ID
			}
			if !slices.Equal(walked, clientIDs(all)) {
				t.Fatalf("walked %v, want %v", walked, clientIDs(all))
			}
			for _, c := range all {
				if c.AccountID != f.acc.ID {
					t.Fatalf("client %d of account %d listed", c.ID, c.AccountID)
				}
			}
		})

		t.Run("update", func(t *testing.T) {
			got, err := f.s.UpdateClient(ctx, lead.Client{ID: maria.ID, AccountID: f.acc.ID, Name: " Мария Иванова ", Email: ptr("m@x.ru")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Мария Иванова" || got.Phone != nil || *got.Email != "m@x.ru" || got.Created != maria.Created {
				t.Fatalf("UpdateClient = %+v", got)
			}
			_, err = f.s.UpdateClient(ctx, lead.Client{ID: maria.ID, AccountID: f.acc.ID, Name: " "})
			wantCode(t, err, lead.EInvalid, "name")
			if c, _ := f.s.GetClient(ctx, f.acc.ID, maria.ID); c.Name != "Мария Иванова" {
				t.Fatalf("a refused update was written: %+v", c)
			}
		})

		t.Run("delete unlinks the client's leads", func(t *testing.T) {
			c := f.client(t, "Doomed", "", "")
			l := f.add(t, contact("79995000009", ""))
			if _, err := f.s.SetLeadClient(ctx, f.acc.ID, nil, l.ID, &c.ID); err != nil {
				t.Fatal(err)
			}
			admin := f.user(t, "deleter@example.ru")
			if err := f.s.DeleteClient(ctx, f.acc.ID, &admin.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			got := f.get(t, l.ID)
			if got.ClientID != nil {
				t.Fatalf("lead still links client %d", *got.ClientID)
			}
			if got.UserIDUpdate == nil || *got.UserIDUpdate != admin.ID {
				t.Fatalf("the unlinked lead's userIdUpdate = %v, want %d", got.UserIDUpdate, admin.ID)
			}
			es := f.events(t, l.ID)
			if last := es[len(es)-1]; last.Action != "client" || last.UserID == nil || *last.UserID != admin.ID {
				t.Fatalf("the unlinked lead's last history entry: %+v", last)
			}
			var unlinked []event
			for _, e := range f.queued(t) {
				if e.lead == l.ID && e.kind == jobs.LeadUpdated {
					unlinked = append(unlinked, e)
				}
			}
			if len(unlinked) != 2 { // linked, then unlinked by the delete
				t.Fatalf("lead.updated events of the unlinked lead: %v", unlinked)
			}
			_, err := f.s.GetClient(ctx, f.acc.ID, c.ID)
			wantCode(t, err, lead.ENotFound)
			wantCode(t, f.s.DeleteClient(ctx, f.acc.ID, nil, c.ID), lead.ENotFound)
		})
	})
}

func TestLeadClient(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		mine := f.client(t, "Mine", "", "")
		theirs := o.client(t, "Theirs", "", "")
		l := f.add(t, contact("79995100001", ""))
		clock := time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		t.Run("link an own client", func(t *testing.T) {
			got, err := f.s.SetLeadClient(ctx, f.acc.ID, &anna.ID, l.ID, &mine.ID)
			if err != nil {
				t.Fatal(err)
			}
			if show(got.ClientID) != show(&mine.ID) || show(f.get(t, l.ID).ClientID) != show(&mine.ID) ||
				show(got.UserIDUpdate) != show(&anna.ID) || got.DtUpdate != clock.Unix() {
				t.Fatalf("lead = %+v", got)
			}
			wantEvent(t, f.lastEvent(t, l.ID), "client", &anna.ID, clock.Unix(), map[string][2]any{"clientId": {nil, mine.ID}})
		})
		t.Run("another account's client is EInvalid", func(t *testing.T) {
			_, err := f.s.SetLeadClient(ctx, f.acc.ID, nil, l.ID, &theirs.ID)
			wantCode(t, err, lead.EInvalid, "clientId")
			if got := f.get(t, l.ID); show(got.ClientID) != show(&mine.ID) {
				t.Fatalf("clientId = %s after a refused link", show(got.ClientID))
			}
		})
		t.Run("nil unlinks", func(t *testing.T) {
			got, err := f.s.SetLeadClient(ctx, f.acc.ID, nil, l.ID, nil)
			if err != nil || got.ClientID != nil || f.get(t, l.ID).ClientID != nil {
				t.Fatalf("SetLeadClient(nil) = %+v, %v", got, err)
			}
			wantEvent(t, f.lastEvent(t, l.ID), "client", nil, clock.Unix(), map[string][2]any{"clientId": {mine.ID, nil}})
		})
		t.Run("another account's lead is ENotFound", func(t *testing.T) {
			_, err := o.s.SetLeadClient(ctx, o.acc.ID, nil, l.ID, &theirs.ID)
			wantCode(t, err, lead.ENotFound)
		})

		t.Run("ClientFromLead copies the name and contacts and links", func(t *testing.T) {
			in := contact("79995100002", "Buyer@Example.com")
			in.Name = ptr("Покупатель")
			src := f.add(t, in)
			c, got, err := f.s.ClientFromLead(ctx, f.acc.ID, &anna.ID, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID == 0 || c.AccountID != f.acc.ID || c.Name != "Покупатель" || strOf(c.Phone) != strOf(src.Phone) ||
				strOf(c.Email) != strOf(src.Email) || c.Created != clock.Unix() {
				t.Fatalf("client = %+v", c)
			}
			stored, err := f.s.GetClient(ctx, f.acc.ID, c.ID)
			if err != nil || stored.Name != c.Name || strOf(stored.Phone) != strOf(c.Phone) || strOf(stored.Email) != strOf(c.Email) {
				t.Fatalf("stored client = %+v, %v", stored, err)
			}
			if show(got.ClientID) != show(&c.ID) || show(f.get(t, src.ID).ClientID) != show(&c.ID) {
				t.Fatalf("lead links %s, want %d", show(got.ClientID), c.ID)
			}
			wantEvent(t, f.lastEvent(t, src.ID), "client", &anna.ID, clock.Unix(), map[string][2]any{"clientId": {nil, c.ID}})
		})
		t.Run("ClientFromLead of a nameless lead", func(t *testing.T) {
			src := f.add(t, contact("", "anon@example.com"))
			c, _, err := f.s.ClientFromLead(ctx, f.acc.ID, nil, src.ID)
			if err != nil || c.Name == "" || c.Phone != nil || strOf(c.Email) != `"anon@example.com"` {
				t.Fatalf("ClientFromLead = %+v, %v", c, err)
			}
		})
		t.Run("ClientFromLead of another account's lead creates nothing", func(t *testing.T) {
			before, err := o.s.ListClients(ctx, o.acc.ID, "", 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = o.s.ClientFromLead(ctx, o.acc.ID, nil, l.ID)
			wantCode(t, err, lead.ENotFound)
			after, _ := o.s.ListClients(ctx, o.acc.ID, "", 0, 0)
			if len(after) != len(before) {
				t.Fatalf("clients %v became %v", clientIDs(before), clientIDs(after))
			}
		})
	})
}
