package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

func TestBootstrap(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		admin := lead.User{Name: "Admin", Email: "Admin@Example.com", PasswordHash: "hash", Role: lead.RoleManager}

		t.Run("empty database gets an account and its admin, once", func(t *testing.T) {
			s := storetest.Open(t, engine)
			clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
			setClock(s, clock)
			acc, u, created, err := s.Bootstrap(ctx, "Acme", admin)
			if err != nil || !created {
				t.Fatalf("Bootstrap = created %v, %v; want created", created, err)
			}
			if acc.ID == 0 || acc.Name != "Acme" || acc.Created != clock.Unix() {
				t.Fatalf("account = %+v", acc)
			}
			// The role is admin whatever the caller passed.
			if u.ID == 0 || u.AccountID != acc.ID || u.Role != lead.RoleAdmin || !u.Active || u.PasswordHash != "hash" {
				t.Fatalf("admin = %+v", u)
			}
			got, err := s.UserByEmail(ctx, "admin@example.com")
			if err != nil || got != u {
				t.Fatalf("UserByEmail = %+v, %v; want %+v", got, err, u)
			}

			other := lead.User{Name: "Second", Email: "second@example.com", Role: lead.RoleAdmin}
			_, _, created, err = s.Bootstrap(ctx, "Second", other)
			if err != nil || created {
				t.Fatalf("second Bootstrap = created %v, %v; want nothing created", created, err)
			}
			accs, err := s.ListAccounts(ctx)
			if err != nil || len(accs) != 1 || accs[0] != acc {
				t.Fatalf("accounts = %+v, %v; want only %+v", accs, err, acc)
			}
			_, err = s.UserByEmail(ctx, other.Email)
			wantCode(t, err, lead.ENotFound)
		})

		t.Run("database with an account is left alone", func(t *testing.T) {
			s := storetest.Open(t, engine)
			if _, err := s.CreateAccount(ctx, "Existing"); err != nil {
				t.Fatal(err)
			}
			_, _, created, err := s.Bootstrap(ctx, "Acme", admin)
			if err != nil || created {
				t.Fatalf("Bootstrap = created %v, %v; want nothing created", created, err)
			}
			if users, _ := s.ListUsers(ctx, 1); len(users) != 0 {
				t.Fatalf("users = %+v", users)
			}
		})

		t.Run("two processes bootstrapping at once create one account", func(t *testing.T) {
			for round := range 3 {
				a, b := openPair(t, engine)
				const perStore = 4
				var created [2 * perStore]bool
				var errs [2 * perStore]error
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range 2 * perStore {
					s := a
					if i%2 == 1 {
						s = b
					}
					wg.Go(func() {
						<-start
						u := admin
						u.Email = fmt.Sprintf("admin%d@example.com", i)
						_, _, created[i], errs[i] = s.Bootstrap(ctx, fmt.Sprintf("Acme %d", i), u)
					})
				}
				close(start)
				wg.Wait()
				n := 0
				for i := range created {
					if errs[i] != nil {
						t.Fatalf("round %d: Bootstrap %d: %v", round, i, errs[i])
					}
					if created[i] {
						n++
					}
				}
				accs, err := b.ListAccounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n != 1 || len(accs) != 1 {
					t.Fatalf("round %d: %d calls report created, %d accounts exist; want 1 and 1", round, n, len(accs))
				}
				if users, _ := a.ListUsers(ctx, accs[0].ID); len(users) != 1 {
					t.Fatalf("round %d: the account has %d users, want its one admin", round, len(users))
				}
			}
		})
	})
}

func TestUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		anna, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Anna", Email: "  Anna@Example.com ", Role: lead.RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("created active, email trimmed, clock stamped", func(t *testing.T) {
			if anna.ID == 0 || anna.Email != "Anna@Example.com" || !anna.Active || anna.Created != clock.Unix() {
				t.Fatalf("user = %+v", anna)
			}
		})

		bad := []struct {
			name  string
			user  lead.User
			field string
		}{
			{"duplicate email, same case", lead.User{Email: "Anna@Example.com", Role: lead.RoleManager}, "email"},
			{"duplicate email, other case", lead.User{Email: "ANNA@EXAMPLE.COM", Role: lead.RoleAdmin}, "email"},
			{"duplicate email with spaces", lead.User{Email: " anna@example.com\t", Role: lead.RoleManager}, "email"},
			{"duplicate email in another account", lead.User{AccountID: o.acc.ID, Email: "anna@example.COM", Role: lead.RoleManager}, "email"},
			{"empty email", lead.User{Email: "  ", Role: lead.RoleManager}, "email"},
			{"email without @", lead.User{Email: "anna.example.com", Role: lead.RoleManager}, "email"},
			{"empty role", lead.User{Email: "new1@example.com"}, "role"},
			{"unknown role", lead.User{Email: "new2@example.com", Role: "owner"}, "role"},
			{"role in capitals", lead.User{Email: "new3@example.com", Role: "Admin"}, "role"},
		}
		for _, tc := range bad {
			t.Run("rejects "+tc.name, func(t *testing.T) {
				u := tc.user
				if u.AccountID == 0 {
					u.AccountID = f.acc.ID
				}
				u.Name = "X"
				_, err := f.s.CreateUser(ctx, u)
				wantCode(t, err, lead.EInvalid, tc.field)
			})
		}

		bob := f.user(t, "bob@example.com")
		olga := o.user(t, "olga@example.com")

		t.Run("ListUsers lists one account's users in order", func(t *testing.T) {
			users, err := f.s.ListUsers(ctx, f.acc.ID)
			if err != nil || len(users) != 2 || users[0] != anna || users[1] != bob {
				t.Fatalf("ListUsers = %+v, %v; want anna, bob", users, err)
			}
			users, err = f.s.ListUsers(ctx, o.acc.ID)
			if err != nil || len(users) != 1 || users[0] != olga {
				t.Fatalf("other account's ListUsers = %+v, %v; want olga", users, err)
			}
		})

		for _, email := range []string{"anna@example.com", "ANNA@EXAMPLE.COM", " Anna@Example.com "} {
			t.Run("UserByEmail finds "+strings.TrimSpace(email), func(t *testing.T) {
				got, err := f.s.UserByEmail(ctx, email)
				if err != nil || got != anna {
					t.Fatalf("UserByEmail(%q) = %+v, %v; want %+v", email, got, err, anna)
				}
			})
		}
		t.Run("UserByEmail of nobody is ENotFound", func(t *testing.T) {
			_, err := f.s.UserByEmail(ctx, "nobody@example.com")
			wantCode(t, err, lead.ENotFound)
		})
	})
}

func TestRefs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine).emptyFunnel(t)
		o := f.other(t).emptyFunnel(t)

		names := []struct {
			name  string
			input string
			want  string // "" when the name is refused
		}{
			{"plain", "Moscow", "Moscow"},
			{"trimmed", "  Saint Petersburg\t", "Saint Petersburg"},
			{"255 Cyrillic letters (510 bytes)", strings.Repeat("я", 255), strings.Repeat("я", 255)},
			{"empty", "", ""},
			{"blank", " \t ", ""},
			{"256 letters", strings.Repeat("я", 256), ""},
		}

		for _, kind := range []store.RefKind{store.Offices, store.Cities} {
			t.Run(string(kind), func(t *testing.T) {
				var made []lead.Ref
				for _, tc := range names {
					t.Run(tc.name, func(t *testing.T) {
						r, err := f.s.CreateRef(ctx, kind, f.acc.ID, tc.input)
						if tc.want == "" {
							wantCode(t, err, lead.EInvalid, "name")
							return
						}
						if err != nil || r.ID == 0 || r.Name != tc.want || r.AccountID != f.acc.ID {
							t.Fatalf("CreateRef = %+v, %v", r, err)
						}
						made = append(made, r)
					})
				}
				theirs := o.ref(t, kind, "Theirs")
				t.Run("ListRefs lists one account's rows in order", func(t *testing.T) {
					got, err := f.s.ListRefs(ctx, kind, f.acc.ID)
					if err != nil || fmt.Sprint(got) != fmt.Sprint(made) {
						t.Fatalf("ListRefs = %+v, %v; want %+v", got, err, made)
					}
					got, err = f.s.ListRefs(ctx, kind, o.acc.ID)
					if err != nil || len(got) != 1 || got[0] != theirs {
						t.Fatalf("other account's ListRefs = %+v, %v", got, err)
					}
				})
			})
		}

		t.Run("stages", func(t *testing.T) {
			var made []lead.Stage
			for i, name := range []string{"New", " Called ", "Won"} {
				st, err := f.s.CreateStage(ctx, f.acc.ID, name, " #00ff00 ")
				if err != nil {
					t.Fatal(err)
				}
				if st.Position != i+1 || st.Name != strings.TrimSpace(name) || st.Color != "#00ff00" || st.AccountID != f.acc.ID {
					t.Fatalf("stage %d = %+v; want position %d", i, st, i+1)
				}
				made = append(made, st)
			}
			theirs := o.stage(t, "Theirs")
			if theirs.Position != 1 {
				t.Fatalf("another account's first stage has position %d, want 1", theirs.Position)
			}
			got, err := f.s.ListStages(ctx, f.acc.ID)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(made) {
				t.Fatalf("ListStages = %+v, %v; want %+v", got, err, made)
			}
			for _, tc := range names {
				if tc.want != "" {
					continue
				}
				t.Run("rejects "+tc.name+" name", func(t *testing.T) {
					_, err := f.s.CreateStage(ctx, f.acc.ID, tc.input, "")
					wantCode(t, err, lead.EInvalid, "name")
				})
			}
			if got, _ := f.s.ListStages(ctx, f.acc.ID); len(got) != 3 {
				t.Fatalf("refused stages were written: %+v", got)
			}
		})
	})
}
